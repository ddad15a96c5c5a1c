package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.testing.Await;
import relay.testing.FakeClock;
import relay.testing.ManualScheduler;

/**
 * The header and body timeouts, driven by a clock moved by hand and the sweeps its scheduler runs when told, over
 * real sockets: who is dropped, and who is not.
 */
class StallTimeoutTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BODY_IDLE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);
    private static final int BIG = 64 * 1024 * 1024;

    private final FakeClock clock = new FakeClock(Instant.parse("2025-03-01T12:00:00Z"));
    private final ManualScheduler timer = new ManualScheduler(clock);
    private final StallWatchdog watchdog = new StallWatchdog(HEADER_TIMEOUT, BODY_IDLE_TIMEOUT, clock);
    /** What the upload handler has read so far, after each read. */
    private final BlockingQueue<Integer> progress = new LinkedBlockingQueue<>();
    private final CountDownLatch inHandler = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final EventStream events = new EventStream(Duration.ofHours(1), List::of,
            new EventStream.Caps(10, 10, false));
    private WebServer server;

    @BeforeEach
    void start() throws IOException {
        Router router = new Router()
                .get("/ok", request -> request.respondJson(200, Map.of("ok", true)))
                .post("/upload", this::countUpload)
                .get("/wait", request -> {
                    inHandler.countDown();
                    awaitQuietly(release);
                    request.respondJson(200, Map.of("waited", true));
                })
                .get("/events", events)
                .get("/big", this::sendBig);
        server = WebServer.start("127.0.0.1", 0, watchdog, timer, router);
    }

    @AfterEach
    void stop() {
        release.countDown();
        events.close();
        server.stop(Duration.ZERO);
    }

    private void sendBig(Request request) throws IOException {
        request.exchange().sendResponseHeaders(200, BIG);
        try (OutputStream out = request.exchange().getResponseBody()) {
            byte[] block = new byte[1024 * 1024];
            for (int i = 0; i < BIG / block.length; i++) {
                out.write(block);
            }
        }
    }

    private void countUpload(Request request) throws IOException {
        int total = 0;
        try (InputStream in = request.exchange().getRequestBody()) {
            byte[] buffer = new byte[1024];
            for (int n; (n = in.read(buffer)) != -1; ) {
                total += n;
                progress.add(total);
            }
        }
        request.respondJson(200, Map.of("bytes", total));
    }

    @Test
    void shouldDropAClientThatHasNotSentItsHeadersWithinTheTimeoutAndServeOneThatHas() throws Exception {
        try (Socket early = connect(); Socket late = connect()) {
            send(early, "GET /ok HTTP/1.1\r\nHost: test\r\n");
            awaitWaiting(StallWatchdog.Stall.HEADERS, 1);
            clock.advance(HEADER_TIMEOUT.minusSeconds(4));
            send(late, "GET /ok HTTP/1.1\r\n");
            awaitWaiting(StallWatchdog.Stall.HEADERS, 2);

            sweepAfter(Duration.ofSeconds(4));

            assertClosedByServer(early);
            send(late, "Host: test\r\nConnection: close\r\n\r\n");
            assertTrue(readAll(late).startsWith("HTTP/1.1 200"), "the late client is served in full");
        }
    }

    @Test
    void shouldDropAnUploadThatMovesNoByteForTheIdleTimeout() throws Exception {
        try (Socket stalled = connect()) {
            send(stalled, "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 30\r\n\r\n" + "x".repeat(10));
            assertEquals(10, progress.poll(10, TimeUnit.SECONDS));
            awaitWaiting(StallWatchdog.Stall.BODY, 1);

            sweepAfter(BODY_IDLE_TIMEOUT);

            assertClosedByServer(stalled);
        }
    }

    @Test
    void shouldLetASlowButSteadyUploadTakeLongerThanTheIdleTimeoutInAll() throws Exception {
        try (Socket slow = connect()) {
            send(slow, "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 40\r\nConnection: close\r\n\r\n");
            for (int sent = 10; sent <= 40; sent += 10) {
                awaitWaiting(StallWatchdog.Stall.BODY, 1);
                sweepAfter(BODY_IDLE_TIMEOUT.minus(ONE_SECOND));
                send(slow, "y".repeat(10));
                assertEquals(sent, progress.poll(10, TimeUnit.SECONDS));
            }

            String response = readAll(slow);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("{\"bytes\":40}"), response);
        }
    }

    @Test
    void shouldLeaveAHandlerThatWaitsWithoutReadingOrWriting() throws Exception {
        try (Socket waiting = connect()) {
            send(waiting, "GET /wait HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
            assertTrue(inHandler.await(10, TimeUnit.SECONDS));

            sweepAfter(Duration.ofHours(1));
            release.countDown();

            assertTrue(readAll(waiting).startsWith("HTTP/1.1 200"), "the waiting handler answered");
        }
    }

    @Test
    void shouldKeepAnEventStreamOpenBetweenEvents() throws Exception {
        try (Socket stream = connect()) {
            send(stream, "GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
            InputStream in = stream.getInputStream();
            readUntil(in, "retry: 2000");
            Await.until("the stream waits for events", () -> events.clientCount() == 1);
            awaitWaiting(StallWatchdog.Stall.BODY, 0);

            sweepAfter(Duration.ofHours(1));
            events.publish("message", Map.of("id", "after-an-hour"));

            readUntil(in, "after-an-hour");
        }
    }

    @Test
    void shouldDropAResponseTheClientStopsReading() throws Exception {
        try (Socket reader = connect()) {
            send(reader, "GET /big HTTP/1.1\r\nHost: test\r\n\r\n");
            readUntil(reader.getInputStream(), "\r\n\r\n");

            // The writer moves until the socket's buffers are full; only then does a write block long enough.
            Await.until("the blocked write is dropped", () -> {
                clock.advance(BODY_IDLE_TIMEOUT);
                return watchdog.sweep();
            }, dropped -> dropped.containsKey(StallWatchdog.Stall.BODY));

            long read = drainUntilClosed(reader);
            assertTrue(read < BIG, "the response was cut short: " + read);
        }
    }

    private void sweepAfter(Duration duration) {
        clock.advance(duration);
        timer.runDue();
    }

    private void awaitWaiting(StallWatchdog.Stall stall, int count) {
        Await.until(count + " exchange(s) waiting for " + stall, () -> watchdog.waitingFor(stall) == count);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout((int) Await.DEADLINE.toMillis());
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String readAll(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void readUntil(InputStream in, String expected) throws IOException {
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (!seen.toString().contains(expected)) {
            int n = in.read(buffer);
            if (n == -1) {
                fail("the stream ended before \"" + expected + "\": " + seen);
            }
            seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
    }

    /** The server closed the connection: reading ends (or is reset) rather than waiting. */
    static void assertClosedByServer(Socket socket) {
        drainUntilClosed(socket);
    }

    private static long drainUntilClosed(Socket socket) {
        long read = 0;
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) != -1; ) {
                read += n;
            }
        } catch (SocketTimeoutException e) {
            fail("the server kept the connection open");
        } catch (IOException e) {
            // reset by the server: closed as well
        }
        return read;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
