package relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Await;

/**
 * Hostile and slow clients against the service as its own process, for the limits the JDK server takes once per
 * JVM (the connection cap, the idle interval), and under a heap as small as {@code -Xmx128m}: whatever they do, the
 * service ends up answering and delivering as before.
 */
class SlowClientsProcessTest {
    private static final int ATTACK = 2_500;
    private static final int HEADER_TIMEOUT_SECONDS = 2;
    /**
     * Bounds only a failing run: every stalled connection is expected to be closed a few seconds after the attack
     * starts. Still below the JDK's own default for connections that send nothing (30 s and a 10 s tick), so those
     * are seen to follow HEADER_TIMEOUT_SECONDS too.
     */
    private static final Duration ALL_CLOSED_WITHIN = Duration.ofSeconds(25);
    /** One connection in this many never sends a byte. */
    private static final int SILENT_EVERY = 10;
    private static final Duration TRICKLE_EVERY = Duration.ofMillis(250);

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("PORT", "0", "DATA_DIR", dir.resolve("data").toString(),
                "WEBHOOK_URL", webhook.url("/hook").toString(), "DEMO_RECEIVER", "false"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void shouldSurviveThousandsOfConnectionsSendingHeadersSlowlyAndDropEachOneAfterTheTimeout() throws Exception {
        webhook.enqueue(new MockResponse.Builder().code(200).build());
        try (AppProcess app = AppProcess.start(dir, env("HEADER_TIMEOUT_SECONDS", String.valueOf(HEADER_TIMEOUT_SECONDS)),
                "-Xmx128m")) {
            int port = app.awaitStarted();
            assertEnoughFileDescriptors(app.pid());

            try (Slowloris attack = new Slowloris(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    ATTACK)) {
                attack.runUntilAllClosed(ALL_CLOSED_WITHIN);
                assertEquals(0, attack.held(), "connections still open: " + attack.describe());
                assertEquals(ATTACK, attack.connected(), "every connection reached the server");
            }

            Await.until("the service answers /healthz", () -> status(port, "GET", "/healthz", ""), s -> s == 200);
            int accepted = status(port, "POST", "/chat/messages", "{\"phone\":\"+5511999999999\",\"text\":\"after the storm\"}");
            assertEquals(202, accepted);
            RecordedRequest delivered = webhook.takeRequest(20, TimeUnit.SECONDS);
            assertNotNull(delivered, "the message reached the webhook");
            assertTrue(delivered.getBody().utf8().contains("after the storm"));
            assertTrue(app.output().contains("sending headers for " + HEADER_TIMEOUT_SECONDS + " s"),
                    "the header timeout dropped them:\n" + tail(app.output()));
            assertFalse(app.output().contains("java.lang.OutOfMemoryError"), tail(app.output()));
        }
    }

    @Test
    void shouldCloseConnectionsPastTheCapAndReleaseOnesWhoseRequestFailed() throws Exception {
        try (AppProcess app = AppProcess.start(dir, env("MAX_CONNECTIONS", "3", "HEADER_TIMEOUT_SECONDS", "60"))) {
            int port = app.awaitStarted();

            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    stalled.add(sendRaw(port, "GET /healthz HTTP/1.1\r\n"));
                }
                // Once the three are accepted, a fourth is closed unanswered (not left waiting: that fails here).
                Await.until("a connection past the cap is closed", () -> status(port, "GET", "/healthz", ""),
                        s -> s == -1);
            } finally {
                for (Socket socket : stalled) {
                    socket.close();
                }
            }
            Await.until("the service answers again", () -> status(port, "GET", "/healthz", ""), s -> s == 200);

            // Bodies cut off by a reset once the handler runs (the 100 Continue says so), as many times as there
            // are slots: each failed exchange must give its slot back.
            for (int i = 0; i < 3; i++) {
                try (Socket aborted = sendRaw(port, "POST /chat/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")) {
                    readUntil(aborted, "\r\n\r\n");
                    send(aborted, "{\"phone\":");
                    aborted.setSoLinger(true, 0);
                }
            }
            Await.until("the service answers after the aborted requests", () -> status(port, "GET", "/healthz", ""),
                    s -> s == 200);
        }
    }

    /** Both this JVM and the service's need a descriptor per attacking connection (the JVM raises its soft limit). */
    private static void assertEnoughFileDescriptors(long servicePid) throws IOException {
        long ours = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assertTrue(ours > ATTACK + 500, "this test needs `ulimit -n` above " + (ATTACK + 500) + ", has " + ours);
        Path limits = Path.of("/proc", String.valueOf(servicePid), "limits");
        if (Files.exists(limits)) {
            Matcher m = Pattern.compile("Max open files\\s+(\\d+)").matcher(Files.readString(limits));
            assertTrue(m.find(), limits + " names no open-file limit");
            long theirs = Long.parseLong(m.group(1));
            assertTrue(theirs > 1_500, "the service needs `ulimit -n` above its 1000 connections, has " + theirs);
        }
    }

    /**
     * Many connections from one thread: each sends a request line, then a header line every so often, never the
     * blank line that ends the headers; one in {@link #SILENT_EVERY} sends nothing at all. Connections the server
     * closes (or refuses) are counted out.
     */
    private static final class Slowloris implements AutoCloseable {
        /** Connections not yet accepted are kept under the server's backlog, so none waits on a retried SYN. */
        private static final int CONNECTING_AT_MOST = 128;

        private final InetSocketAddress target;
        private final Selector selector = Selector.open();
        private final Set<SocketChannel> connecting = new HashSet<>();
        private final Set<SocketChannel> trickling = new HashSet<>();
        private final Set<SocketChannel> silent = new HashSet<>();
        private final ByteBuffer scratch = ByteBuffer.allocate(4096);
        private int toOpen;
        private int everConnected;
        private int line;

        Slowloris(InetSocketAddress target, int count) throws IOException {
            this.target = target;
            this.toOpen = count;
        }

        int held() {
            return connecting.size() + trickling.size() + silent.size();
        }

        int connected() {
            return everConnected;
        }

        String describe() {
            return trickling.size() + " sending headers, " + silent.size() + " silent, " + connecting.size()
                    + " not accepted yet, " + toOpen + " not opened";
        }

        void runUntilAllClosed(Duration within) throws IOException {
            long deadline = System.nanoTime() + within.toNanos();
            long nextTrickle = System.nanoTime();
            while ((toOpen > 0 || held() > 0) && System.nanoTime() - deadline < 0) {
                openMore();
                selector.select(TRICKLE_EVERY.toMillis());
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isValid() && key.isConnectable()) {
                        finishConnecting(key);
                    } else if (key.isValid() && key.isReadable()) {
                        readOrClose((SocketChannel) key.channel());
                    }
                }
                selector.selectedKeys().clear();
                if (System.nanoTime() - nextTrickle >= 0) {
                    line++;
                    for (SocketChannel channel : List.copyOf(trickling)) {
                        send(channel, "X-Slow-" + line + ": still coming\r\n");
                    }
                    nextTrickle = System.nanoTime() + TRICKLE_EVERY.toNanos();
                }
            }
        }

        private void openMore() throws IOException {
            while (toOpen > 0 && connecting.size() < CONNECTING_AT_MOST) {
                boolean quiet = toOpen-- % SILENT_EVERY == 0;
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT, quiet);
                connecting.add(channel);
                if (channel.connect(target)) {
                    connected(key);
                }
            }
        }

        private void finishConnecting(SelectionKey key) {
            try {
                if (((SocketChannel) key.channel()).finishConnect()) {
                    connected(key);
                }
            } catch (IOException e) {
                closed((SocketChannel) key.channel());
            }
        }

        private void connected(SelectionKey key) {
            SocketChannel channel = (SocketChannel) key.channel();
            connecting.remove(channel);
            everConnected++;
            key.interestOps(SelectionKey.OP_READ);
            if ((Boolean) key.attachment()) {
                silent.add(channel);
            } else {
                trickling.add(channel);
                send(channel, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            }
        }

        private void readOrClose(SocketChannel channel) {
            try {
                scratch.clear();
                if (channel.read(scratch) == -1) {
                    closed(channel);
                }
            } catch (IOException e) {
                closed(channel);
            }
        }

        private void send(SocketChannel channel, String text) {
            try {
                channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                closed(channel);
            }
        }

        private void closed(SocketChannel channel) {
            connecting.remove(channel);
            trickling.remove(channel);
            silent.remove(channel);
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
        }

        @Override
        public void close() throws IOException {
            for (SelectionKey key : List.copyOf(selector.keys())) {
                closed((SocketChannel) key.channel());
            }
            selector.close();
        }
    }

    private static String request(String method, String path, String json) {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + (json.isEmpty() ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    /** The status of one request on a fresh connection, or -1 when the connection is closed unanswered. */
    private static int status(int port, String method, String path, String json) {
        try (Socket socket = sendRaw(port, request(method, path, json))) {
            String response = readUntilClosed(socket);
            return response.startsWith("HTTP/1.1 ") ? Integer.parseInt(response.substring(9, 12)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static Socket sendRaw(int port, String text) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) Await.DEADLINE.toMillis());
        send(socket, text);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
    }

    private static void readUntil(Socket socket, String expected) throws IOException {
        StringBuilder received = new StringBuilder();
        while (received.indexOf(expected) < 0) {
            int b = socket.getInputStream().read();
            if (b == -1) {
                fail("closed before " + expected.strip() + ": " + received);
            }
            received.append((char) b);
        }
    }

    /** What the server sent before closing; a reset counts as closed. */
    private static String readUntilClosed(Socket socket) {
        StringBuilder received = new StringBuilder();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            for (int n; (n = in.read(buffer)) != -1; ) {
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (SocketTimeoutException e) {
            fail("the server neither answered nor closed the connection");
        } catch (IOException e) {
            // reset: closed as well
        }
        return received.toString();
    }

    private static String tail(String output) {
        return output.substring(Math.max(0, output.length() - 4000));
    }
}
