package relay.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import relay.config.Config;
import relay.log.EventLog;

/**
 * Server-Sent Events at {@code GET /chat/events}. Publishing never waits on a client: each client has a bounded
 * queue, and one that falls behind by a whole queue (a slow or vanished reader) is dropped and its connection
 * closed, so delivery, which publishes, is never held up by a browser tab.
 *
 * <p>Each client is served by its own (virtual) request thread, which writes what its queue holds and a comment
 * heartbeat when nothing happened for a while, so proxies keep the stream open and dead peers are noticed.
 *
 * <p>Streams are capped per client address and in all, without ever refusing one: a stream that would pass a cap
 * closes the oldest one first (that client's own for its cap, anyone's for the total). Someone holding many idle
 * streams thus cannot lock others out of live updates; at worst, streams open longest are asked to reconnect.
 */
public final class EventStream implements Handler {
    private static final EventLog LOG = EventLog.of(EventStream.class);
    static final int CLIENT_QUEUE = 1024;
    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CLOSE = new byte[0];

    private final Duration heartbeat;
    private final Supplier<List<Event>> greeting;
    private final Caps caps;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    /** Makes "count, close the oldest, add" one step; publishing and leaving need no lock. */
    private final ReentrantLock admission = new ReentrantLock();
    private final AtomicLong opened = new AtomicLong();

    /** One event as sent: its name and its data as JSON. */
    public record Event(String name, Object data) {
    }

    /**
     * How many streams may be open at once.
     *
     * @param total             in all
     * @param perClient         from one client address, as {@link ClientAddress} tells it
     * @param trustForwardedFor whether that address is taken from {@code X-Forwarded-For}
     */
    public record Caps(int total, int perClient, boolean trustForwardedFor) {
        public Caps {
            if (perClient < 1 || total < perClient) {
                throw new IllegalArgumentException("expected 1 <= perClient <= total: " + perClient + ", " + total);
            }
        }

        public static Caps of(Config config) {
            return new Caps(config.limits().maxEventStreams(), config.limits().maxEventStreamsPerClient(),
                    config.trustForwardedFor());
        }
    }

    /** @param greeting events every new client gets first, such as the circuit's current state */
    public EventStream(Duration heartbeat, Supplier<List<Event>> greeting, Caps caps) {
        this.heartbeat = heartbeat;
        this.greeting = greeting;
        this.caps = caps;
    }

    private static final class Client {
        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(CLIENT_QUEUE);
        final Thread thread = Thread.currentThread();
        final String address;
        final long openedAs;

        Client(String address, long openedAs) {
            this.address = address;
            this.openedAs = openedAs;
        }
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
        var headers = request.exchange().getResponseHeaders();
        headers.set("Content-Type", "text/event-stream; charset=utf-8");
        headers.set("Cache-Control", "no-store");
        headers.set("X-Accel-Buffering", "no");
        // A stream that ends (dropped, or the server stopping) takes its connection with it, so a client that
        // stopped reading is really disconnected rather than kept alive for a next request it will not send.
        headers.set("Connection", "close");
        request.exchange().sendResponseHeaders(200, 0);
        Client client = new Client(ClientAddress.of(request.exchange(), caps.trustForwardedFor()),
                opened.incrementAndGet());
        admit(client);
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

    private void admit(Client newcomer) {
        admission.lock();
        try {
            List<Client> same = clients.stream().filter(c -> c.address.equals(newcomer.address)).toList();
            if (same.size() >= caps.perClient()) {
                makeRoom(same, "the " + caps.perClient() + " allowed from " + newcomer.address);
            } else if (clients.size() >= caps.total()) {
                makeRoom(clients, "the " + caps.total() + " allowed in all");
            }
            clients.add(newcomer);
        } finally {
            admission.unlock();
        }
    }

    private void makeRoom(Collection<Client> among, String cap) {
        among.stream().min(Comparator.comparingLong(c -> c.openedAs)).filter(clients::remove).ifPresent(oldest -> {
            LOG.info("events.stream_replaced", "📡 Closed the oldest event stream of " + oldest.address
                    + " to make room for a new one within " + cap, "client", oldest.address);
            end(oldest);
        });
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
        clients.forEach(EventStream::end);
    }

    /** After what it was sent already; at once when its queue is full. */
    private static void end(Client client) {
        if (!client.queue.offer(CLOSE)) {
            client.thread.interrupt();
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
