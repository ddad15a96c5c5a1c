package relay.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/**
 * A webhook receiver on a raw loopback socket, one request per connection (the relay sends {@code Connection:
 * close}), so a test can answer each request with anything a real endpoint does: any status with any headers, a
 * gzip body, a connection reset, or a stall. It records every request it read, by {@code webhook-id}, with the hash
 * of its body (and the body itself when it is small), and how many requests it held at once.
 */
public final class ChaosReceiver implements AutoCloseable {
    /** What to do with one request. */
    public sealed interface Behaviour {
        record Answer(int status, Map<String, String> headers, String body, boolean gzip) implements Behaviour {
        }

        /** Reset the connection (RST) without answering. */
        record Reset() implements Behaviour {
        }

        /** Hold the connection open without answering for {@code duration}, then close it. */
        record Stall(Duration duration) implements Behaviour {
        }

        /** Take {@code delay} before doing {@code then}, as a slow endpoint does. */
        record Delayed(Duration delay, Behaviour then) implements Behaviour {
        }

        static Behaviour ok() {
            return new Answer(200, Map.of(), "{\"ok\":true}", false);
        }
    }

    /** Bodies up to this size are kept as text; larger ones (inline attachments) are only hashed. */
    public static final int KEPT_BODY_BYTES = 64 * 1024;

    /**
     * A request as read: its {@code webhook-id}, the SHA-256 of its body, and the body as UTF-8 text when it is at
     * most {@link #KEPT_BODY_BYTES}, else null.
     */
    public record Received(String webhookId, String bodySha256, int bodyBytes, String body) {
    }

    private final ServerSocket server;
    private final Function<Received, Behaviour> behaviour;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<Integer, AtomicInteger> answeredByStatus = new ConcurrentHashMap<>();
    private final AtomicInteger unanswered = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final Thread acceptor;

    /** @param behaviour decides each answer; called once the whole request has been read */
    public ChaosReceiver(Function<Received, Behaviour> behaviour) throws IOException {
        this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        this.behaviour = behaviour;
        this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** How many requests were answered with {@code status}. */
    public int answered(int status) {
        return answeredByStatus.getOrDefault(status, new AtomicInteger()).get();
    }

    /** Requests that got no byte back: reset, or stalled and closed. */
    public int unanswered() {
        return unanswered.get();
    }

    /** The most requests this receiver held at once. */
    public int maxOpen() {
        return maxOpen.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        try (socket) {
            Received request = read(socket.getInputStream());
            received.add(request);
            act(socket, behaviour.apply(request));
        } catch (IOException | InterruptedException e) {
            // the client went away, or the test is over
        } finally {
            open.decrementAndGet();
        }
    }

    private void act(Socket socket, Behaviour what) throws IOException, InterruptedException {
        switch (what) {
            case Behaviour.Answer answer -> {
                answeredByStatus.computeIfAbsent(answer.status(), s -> new AtomicInteger()).incrementAndGet();
                socket.getOutputStream().write(response(answer));
                socket.getOutputStream().flush();
            }
            case Behaviour.Reset reset -> {
                unanswered.incrementAndGet();
                socket.setSoLinger(true, 0);
            }
            case Behaviour.Stall stall -> {
                unanswered.incrementAndGet();
                Thread.sleep(stall.duration());
            }
            case Behaviour.Delayed delayed -> {
                Thread.sleep(delayed.delay());
                act(socket, delayed.then());
            }
        }
    }

    private static byte[] response(Behaviour.Answer answer) throws IOException {
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        if (answer.gzip()) {
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                gzip.write(body);
            }
            body = zipped.toByteArray();
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 " + answer.status() + " Chaos\r\n");
        answer.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (answer.gzip()) {
            head.append("Content-Encoding: gzip\r\n");
        }
        head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length)
                .append("\r\nConnection: close\r\n\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** Reads the request line, the headers and a Content-Length body, hashing the body as it streams. */
    private static Received read(InputStream in) throws IOException {
        if (readLine(in) == null) {
            throw new EOFException("the connection closed before a request line");
        }
        String webhookId = null;
        long length = 0;
        for (String line = headerLine(in); !line.isEmpty(); line = headerLine(in)) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (name.equals("webhook-id")) {
                webhookId = value;
            } else if (name.equals("content-length")) {
                length = Long.parseLong(value);
            }
        }
        MessageDigest sha256 = sha256();
        ByteArrayOutputStream kept = length <= KEPT_BODY_BYTES ? new ByteArrayOutputStream((int) length) : null;
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("body cut short");
            }
            sha256.update(buffer, 0, n);
            if (kept != null) {
                kept.write(buffer, 0, n);
            }
            left -= n;
        }
        return new Received(webhookId, HexFormat.of().formatHex(sha256.digest()), (int) length,
                kept == null ? null : kept.toString(StandardCharsets.UTF_8));
    }

    private static String headerLine(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            throw new EOFException("the connection closed inside the headers");
        }
        return line;
    }

    /** A line without its CRLF; null at the end of the stream before any byte of it. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                if (line.size() == 0) {
                    return null;
                }
                throw new EOFException("the request was cut short");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
