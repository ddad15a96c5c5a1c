package relay.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 written byte for byte on a plain socket: for request targets and headers the JDK client would normalise,
 * refuse to send, or send differently (absolute-form targets, {@code //}, a forged {@code Host}, no {@code Host},
 * a body announced but not sent), and for reading an answer without waiting for the connection to end.
 */
public final class RawHttp {
    /** Long enough for any answer on a loaded machine; only a server that does not answer reaches it. */
    public static final Duration DEADLINE = Duration.ofSeconds(20);

    private RawHttp() {
    }

    /**
     * @param status  -1 when the server closed the connection without answering
     * @param headers by lower-case name
     */
    public record Response(int status, Map<String, List<String>> headers, String body) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT))).map(List::getFirst);
        }

        public boolean isJson() {
            return header("Content-Type").orElse("").startsWith("application/json");
        }
    }

    /**
     * Sends {@code head} (request line and header lines, each without its CRLF) and {@code body}, with
     * {@code Connection: close} added, and reads the answer.
     */
    public static Response send(int port, List<String> head, byte[] body) {
        List<String> lines = new ArrayList<>(head);
        lines.add("Connection: close");
        try (Socket socket = open(port)) {
            write(socket, lines, body);
            return read(socket.getInputStream(), head.getFirst().startsWith("HEAD "));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Response send(int port, List<String> head) {
        return send(port, head, new byte[0]);
    }

    /** A GET, HEAD or other request without a body, with {@code Host: 127.0.0.1:port}. */
    public static Response send(int port, String method, String target, String... headers) {
        List<String> head = new ArrayList<>();
        head.add(method + " " + target + " HTTP/1.1");
        head.add("Host: 127.0.0.1:" + port);
        head.addAll(List.of(headers));
        return send(port, head);
    }

    public static Socket open(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) DEADLINE.toMillis());
        return socket;
    }

    public static void write(Socket socket, List<String> head, byte[] body) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((String.join("\r\n", head) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** Reads one answer: its head, then as many body bytes as {@code Content-Length} says, or to the end. */
    public static Response read(InputStream in, boolean head) throws IOException {
        String statusLine;
        try {
            statusLine = line(in);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + DEADLINE, e);
        }
        if (statusLine == null) {
            return new Response(-1, Map.of(), "");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
            int colon = line.indexOf(':');
            headers.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    name -> new ArrayList<>()).add(line.substring(colon + 1).strip());
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        byte[] body;
        List<String> length = headers.get("content-length");
        if (head || status == 204 || status == 304) {
            body = new byte[0];
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.getFirst()));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, Map.copyOf(headers), new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
