package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import relay.testing.Await;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.RunningApp;

/** Server-Sent Events: what the pages see, and that a client that stops reading never holds anyone up. */
class EventStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EventStream.Caps CAPS = new EventStream.Caps(256, 8, false);

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    /** Reads an event stream on a virtual thread: comment lines and one "name data" entry per event. */
    static final class Listener implements AutoCloseable {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final HttpClient client = HttpClient.newHttpClient();

        /** @param headers extra request headers, as name, value pairs */
        Listener(java.net.URI uri, String... headers) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri);
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            HttpResponse<Stream<String>> response = client.send(request.build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
            Thread.ofVirtual().start(() -> {
                String[] event = {null};
                response.body().forEach(line -> {
                    if (line.startsWith("event: ")) {
                        event[0] = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        lines.add(event[0] + " " + line.substring(6));
                    } else if (line.startsWith(":")) {
                        lines.add(line);
                    }
                });
            });
        }

        /** Waits for the next event of {@code name} whose data satisfies {@code condition}; earlier ones are skipped. */
        JsonNode next(String name, Predicate<JsonNode> condition) throws Exception {
            return next(name, condition, Duration.ofSeconds(20));
        }

        /** As {@link #next(String, Predicate)}, failing unless it arrives {@code within} from now. */
        JsonNode next(String name, Predicate<JsonNode> condition, Duration within) throws Exception {
            Instant deadline = Instant.now().plus(within);
            while (Instant.now().isBefore(deadline)) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(name + " ")) {
                    JsonNode data = JSON.readTree(line.substring(name.length() + 1));
                    if (condition.test(data)) {
                        return data;
                    }
                }
            }
            throw new AssertionError("no " + name + " event as expected arrived within " + within);
        }

        @Override
        public void close() {
            client.shutdownNow();
        }
    }

    /** Connects and asks for the stream, then never reads a byte. */
    static Socket neverReading(int port, String path) throws IOException {
        return neverReading(port, path, "");
    }

    /** @param headers extra header lines, each ending in CRLF */
    static Socket neverReading(int port, String path, String headers) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + headers + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    /** A stream opened from {@code client}, as a proxy trusted with X-Forwarded-For would say it. */
    private static Socket streamFrom(int port, String client) throws IOException {
        return neverReading(port, "/events", "X-Forwarded-For: " + client + "\r\n");
    }

    @Test
    void shouldStreamDeliveryAndCircuitChangesWhileAnotherClientNeverReads() throws Exception {
        webhook.enqueue(new MockResponse.Builder().code(200).build());
        webhook.enqueue(new MockResponse.Builder().code(503).build());
        try (RunningApp app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "CIRCUIT_FAILURE_THRESHOLD", "1", "WEBHOOK_MAX_RETRIES", "0"));
             Socket stalled = neverReading(app.port(), "/chat/events");
             Listener listener = new Listener(app.uri("/chat/events"))) {
            assertEquals("closed", listener.next("circuit", c -> true).path("state").asText());

            String id = app.sendText("+5511999999999", "live");
            listener.next("message", m -> m.path("id").asText().equals(id) && m.path("status").asText().equals("queued"));
            JsonNode delivered = listener.next("message", m -> m.path("id").asText().equals(id)
                    && m.path("status").asText().equals("delivered"));
            assertEquals(1, delivered.path("attempts").asInt());
            assertEquals("+5511999999999", delivered.path("phone").asText());

            app.sendText("+5511999999999", "opens the circuit");
            JsonNode open = listener.next("circuit", c -> c.path("state").asText().equals("open"));
            assertNotNull(open.path("retry_at").textValue());
            app.post("/chat/reset-webhook-circuit");
            listener.next("circuit", c -> c.path("state").asText().equals("closed"));
            assertTrue(stalled.isConnected());
        }
    }

    @Test
    void shouldSendAHeartbeatCommentWhenNothingHappens() throws Exception {
        EventStream events = new EventStream(Duration.ofMillis(50), List::of, CAPS);
        WebServer server = WebServer.start("127.0.0.1", 0, new Router().get("/events", events));
        try (Listener listener = new Listener(java.net.URI.create("http://127.0.0.1:" + server.port() + "/events"))) {
            String line = listener.lines.poll(10, TimeUnit.SECONDS);
            assertEquals(": heartbeat", line);
        } finally {
            events.close();
            server.stop(Duration.ZERO);
        }
    }

    @Test
    @Timeout(60)
    void shouldDropAClientThatStopsReadingAndCloseItsConnectionWithoutBlockingPublishers() throws Exception {
        EventStream events = new EventStream(Duration.ofSeconds(30), List::of, CAPS);
        WebServer server = WebServer.start("127.0.0.1", 0, new Router().get("/events", events));
        try (Socket stalled = neverReading(server.port(), "/events")) {
            awaitClients(events, 1);
            Map<String, String> big = Map.of("padding", "x".repeat(4096));
            int published = 0;
            while (events.clientCount() > 0 && published < 200_000) {
                events.publish("message", big);
                published++;
            }

            assertEquals(0, events.clientCount(), "the stalled client is dropped");
            assertTrue(published > EventStream.CLIENT_QUEUE, "dropped only after a whole queue: " + published);
            stalled.setSoTimeout(20_000);
            assertEndsAfterWhatWasSent(stalled.getInputStream());
        } finally {
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void shouldCloseTheOldestStreamOfAClientThatOpensMoreThanItsShare() throws Exception {
        EventStream events = new EventStream(Duration.ofSeconds(30), List::of, new EventStream.Caps(10, 2, true));
        WebServer server = WebServer.start("127.0.0.1", 0, new Router().get("/events", events));
        try (Socket a1 = streamFrom(server.port(), "198.51.100.1")) {
            awaitClients(events, 1);
            try (Socket a2 = streamFrom(server.port(), "198.51.100.1")) {
                awaitClients(events, 2);
                try (Socket b1 = streamFrom(server.port(), "198.51.100.2")) {
                    awaitClients(events, 3);
                    try (Socket a3 = streamFrom(server.port(), "198.51.100.1")) {
                        StallTimeoutTest.assertClosedByServer(a1);
                        awaitClients(events, 3);

                        events.publish("message", Map.of("id", "m1"));

                        for (Socket open : List.of(a2, b1, a3)) {
                            readUntil(open, "\"id\":\"m1\"");
                        }
                    }
                }
            }
        } finally {
            events.close();
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void shouldCloseTheOldestStreamOfAnyClientPastTheTotal() throws Exception {
        EventStream events = new EventStream(Duration.ofSeconds(30), List::of, new EventStream.Caps(3, 2, true));
        WebServer server = WebServer.start("127.0.0.1", 0, new Router().get("/events", events));
        try (Socket a1 = streamFrom(server.port(), "198.51.100.1")) {
            awaitClients(events, 1);
            try (Socket b1 = streamFrom(server.port(), "198.51.100.2")) {
                awaitClients(events, 2);
                try (Socket b2 = streamFrom(server.port(), "198.51.100.2")) {
                    awaitClients(events, 3);
                    try (Socket c1 = streamFrom(server.port(), "198.51.100.3")) {
                        StallTimeoutTest.assertClosedByServer(a1);
                        awaitClients(events, 3);

                        events.publish("message", Map.of("id", "m2"));

                        for (Socket open : List.of(b1, b2, c1)) {
                            readUntil(open, "\"id\":\"m2\"");
                        }
                    }
                }
            }
        } finally {
            events.close();
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void shouldKeepLiveUpdatesForOthersWhileOneClientHoardsHundredsOfIdleStreams() throws Exception {
        webhook.enqueue(new MockResponse.Builder().code(200).build());
        int hoarded = 300;
        List<Socket> streams = new ArrayList<>();
        try (RunningApp app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "TRUST_FORWARDED_FOR", "true"))) {
            for (int i = 0; i < hoarded; i++) {
                streams.add(neverReading(app.port(), "/chat/events", "X-Forwarded-For: 203.0.113.9\r\n"));
            }
            // Every stream answered, so every admission (and the closing of the oldest it made) is done before the send.
            for (Socket stream : streams) {
                readHeaders(stream);
            }
            String id;
            try (Listener other = new Listener(app.uri("/chat/events"), "X-Forwarded-For", "198.51.100.7")) {
                id = app.sendText("+5511999999999", "still live");

                other.next("message", m -> m.path("id").asText().equals(id)
                        && m.path("status").asText().equals("delivered"));
            }
            long stillOpen = 0;
            for (Socket stream : streams) {
                if (receivesOrEnds(stream, id)) {
                    stillOpen++;
                }
            }
            assertEquals(8, stillOpen, "the hoarder keeps MAX_EVENT_STREAMS_PER_CLIENT streams, its newest");
        } finally {
            for (Socket stream : streams) {
                stream.close();
            }
        }
    }

    private static void readUntil(Socket socket, String expected) throws IOException {
        if (!receivesOrEnds(socket, expected)) {
            throw new AssertionError("the stream ended before " + expected);
        }
    }

    /** Reads until {@code expected} arrives (true) or the server ends the stream (false). */
    /** Reads a response's status line and headers, one byte at a time so that nothing after them is taken. */
    private static void readHeaders(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b == -1) {
                throw new AssertionError("the stream ended before its headers");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static boolean receivesOrEnds(Socket socket, String expected) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                if (seen.indexOf(expected) >= 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("neither " + expected + " nor the end arrived; seen: " + seen, e);
        }
        return false;
    }

    private static void awaitClients(EventStream events, int count) {
        Await.until(count + " event-stream clients", events::clientCount, clients -> clients == count);
    }

    /** Reading what was already on its way, the connection then ends: the server closed it. */
    private static void assertEndsAfterWhatWasSent(InputStream in) {
        byte[] buffer = new byte[64 * 1024];
        List<Integer> reads = new ArrayList<>();
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                reads.add(n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the dropped client's connection open", e);
        } catch (IOException e) {
            // reset by the server: closed as well
        }
        assertTrue(!reads.isEmpty(), "the response started before the client stalled");
    }
}
