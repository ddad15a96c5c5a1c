package relay.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import relay.log.EventLog;

/**
 * Server-Sent Events at {@code GET /chat/events}. Publishing never waits on a client: each client has a bounded
 * queue, and one that falls behind by a whole queue (a slow or vanished reader) is dropped and its connection
 * closed, so delivery, which publishes, is never held up by a browser tab.
 *
 * <p>Each client is served by its own (virtual) request thread, which writes what its queue holds and a comment
 * heartbeat when nothing happened for a while, so proxies keep the stream open and dead peers are noticed.
 */
public final class EventStream implements Handler {
    private static final EventLog LOG = EventLog.of(EventStream.class);
    static final int CLIENT_QUEUE = 1024;
    static final int MAX_CLIENTS = 256;
    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CLOSE = new byte[0];

    private final Duration heartbeat;
    private final Supplier<List<Event>> greeting;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();

    /** One event as sent: its name and its data as JSON. */
    public record Event(String name, Object data) {
    }

    /** @param greeting events every new client gets first, such as the circuit's current state */
    public EventStream(Duration heartbeat, Supplier<List<Event>> greeting) {
        this.heartbeat = heartbeat;
        this.greeting = greeting;
    }

    private static final class Client {
        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(CLIENT_QUEUE);
        final Thread thread = Thread.currentThread();
    }

    /** Queues the event for every client; a client whose queue is full is dropped instead of waited for. */
    public void publish(String name, Object data) {
        if (clients.isEmpty()) {
            return;
        }
        byte[] frame = frame(name, data);
        for (Client client : clients) {
            if (!client.queue.offer(frame)) {
                drop(client);
            }
        }
    }

    public int clientCount() {
        return clients.size();
    }

    @Override
    public void handle(Request request) throws IOException {
        if (clients.size() >= MAX_CLIENTS) {
            throw new ApiException(503, "too_many_streams", "Too many event streams are open; try again later");
        }
        var headers = request.exchange().getResponseHeaders();
        headers.set("Content-Type", "text/event-stream; charset=utf-8");
        headers.set("Cache-Control", "no-store");
        headers.set("X-Accel-Buffering", "no");
        // A stream that ends (dropped, or the server stopping) takes its connection with it, so a client that
        // stopped reading is really disconnected rather than kept alive for a next request it will not send.
        headers.set("Connection", "close");
        request.exchange().sendResponseHeaders(200, 0);
        Client client = new Client();
        clients.add(client);
        try (OutputStream out = request.exchange().getResponseBody()) {
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            for (Event event : greeting.get()) {
                out.write(frame(event.name(), event.data()));
            }
            out.flush();
            pump(client, out);
        } catch (InterruptedException e) {
            // dropped or closing: the connection closes below
        } finally {
            clients.remove(client);
        }
    }

    private void pump(Client client, OutputStream out) throws IOException, InterruptedException {
        while (true) {
            byte[] frame = client.queue.poll(heartbeat.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == CLOSE) {
                return;
            }
            out.write(frame == null ? HEARTBEAT : frame);
            out.flush();
        }
    }

    /**
     * Interrupting the client's thread also closes its socket when it is stuck writing to a peer that stopped
     * reading (socket channels close on interrupt), which a close from here could not do without blocking.
     */
    private void drop(Client client) {
        if (clients.remove(client)) {
            LOG.warn("events.client_dropped", "🐢 An event-stream client fell " + CLIENT_QUEUE
                    + " events behind and was disconnected");
            client.thread.interrupt();
        }
    }

    /** Ends every stream, so a graceful stop need not wait for browsers to hang up. */
    public void close() {
        for (Client client : clients) {
            if (!client.queue.offer(CLOSE)) {
                client.thread.interrupt();
            }
        }
    }

    private static byte[] frame(String name, Object data) {
        try {
            return ("event: " + name + "\ndata: " + Json.MAPPER.writeValueAsString(data) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data is not serialisable: " + name, e);
        }
    }
}
