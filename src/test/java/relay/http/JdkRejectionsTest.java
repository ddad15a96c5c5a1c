package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import relay.testing.RawHttp;
import relay.testing.RunningApp;

/**
 * The malformed requests the JDK's HTTP server refuses before any of our code runs, and what the client gets: a
 * short {@code text/html} page with {@code Connection: close}, or the connection closed without an answer. The
 * README lists them; this test keeps that list true. Everything past these checks gets our JSON errors.
 */
class JdkRejectionsTest {
    /** The connection ends without an answer. */
    private static final int CLOSED = -1;

    @TempDir
    static Path dir;

    private static RunningApp app;

    @BeforeAll
    static void start() throws IOException {
        app = RunningApp.start(dir, Map.of("APP_TOKEN", "correct-horse-battery-staple"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static Stream<Arguments> rejections() {
        String host = "Host: 127.0.0.1\r\n";
        String manyNames = IntStream.range(0, 201).mapToObj(i -> "X-H" + i + ": 1\r\n").collect(Collectors.joining());
        String hugeHeader = "X-Big: " + "a".repeat(400 * 1024) + "\r\n";
        return Stream.of(
                Arguments.of("request line without spaces", "GARBAGE\r\n\r\n", 400),
                Arguments.of("request line without a version", "GET /healthz\r\n" + host + "\r\n", 400),
                Arguments.of("target with a character URIs forbid", "GET /a<b HTTP/1.1\r\n" + host + "\r\n", 400),
                Arguments.of("target with a raw backslash", "GET /chat\\messages HTTP/1.1\r\n" + host + "\r\n", 400),
                Arguments.of("target with a broken percent escape", "GET /chat/%zz HTTP/1.1\r\n" + host + "\r\n", 400),
                Arguments.of("header name with illegal characters", "GET /healthz HTTP/1.1\r\n" + host
                        + "X(Y): 1\r\n\r\n", 400),
                Arguments.of("header without a name", "GET /healthz HTTP/1.1\r\n" + host + ": x\r\n\r\n", 400),
                Arguments.of("Content-Length with Transfer-Encoding", "POST /login HTTP/1.1\r\n" + host
                        + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400),
                Arguments.of("two Content-Length headers", "POST /login HTTP/1.1\r\n" + host
                        + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
                Arguments.of("Content-Length not a number", "POST /login HTTP/1.1\r\n" + host
                        + "Content-Length: two\r\n\r\n", 400),
                Arguments.of("negative Content-Length", "POST /login HTTP/1.1\r\n" + host
                        + "Content-Length: -1\r\n\r\n", 400),
                Arguments.of("Transfer-Encoding other than chunked", "POST /login HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
                Arguments.of("Transfer-Encoding twice", "POST /login HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
                Arguments.of("target not starting with /", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 404),
                Arguments.of("target whose path is empty", "GET http://localhost HTTP/1.1\r\n" + host + "\r\n", 404),
                Arguments.of("target // with one segment", "GET //metrics HTTP/1.1\r\n" + host + "\r\n", 404),
                Arguments.of("an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 404),
                Arguments.of("an opaque target", "GET mailto:x@y HTTP/1.1\r\n" + host + "\r\n", CLOSED),
                Arguments.of("more than 200 header names", "GET /healthz HTTP/1.1\r\n" + host + manyNames + "\r\n",
                        CLOSED),
                Arguments.of("headers over 380 KiB", "GET /healthz HTTP/1.1\r\n" + host + hugeHeader + "\r\n",
                        CLOSED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void shouldBeRefusedByTheJdkBeforeOurCode(String name, String request, int status) throws IOException {
        RawHttp.Response response = send(request);

        assertEquals(status, response.status(), response.body());
        if (status != CLOSED) {
            assertEquals("text/html", response.header("Content-Type").orElseThrow());
            assertEquals("close", response.header("Connection").orElseThrow());
        }
        assertEquals(200, app.get("/healthz").statusCode(), "the server still answers");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ours")
    void shouldBeAnsweredWithJsonByOurCode(String name, String request, int status, String code) throws IOException {
        RawHttp.Response response = send(request);

        assertEquals(status, response.status(), response.body());
        assertEquals(code, Json.MAPPER.readTree(response.body()).path("error").path("code").asText());
        assertFalse(response.body().isBlank());
    }

    static Stream<Arguments> ours() {
        String host = "Host: 127.0.0.1\r\n";
        return Stream.of(
                Arguments.of("a chunked body with a broken chunk size", "POST /login HTTP/1.1\r\n" + host
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                        400, "unreadable_body"),
                Arguments.of("a folded Host header",
                        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n evil.example\r\n\r\n",
                        400, "invalid_host"),
                Arguments.of("no Host header", "GET /healthz HTTP/1.1\r\n\r\n", 400, "host_required"),
                Arguments.of("a version the server does not know", "GET /chat/config FOO/9\r\n" + host + "\r\n", 401,
                        "unauthorized"));
    }

    /** A connection reset before any answer counts as closed: the client got nothing either way. */
    private static RawHttp.Response send(String request) throws IOException {
        try (Socket socket = RawHttp.open(app.port())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return RawHttp.read(socket.getInputStream(), false);
        } catch (SocketException e) {
            return new RawHttp.Response(CLOSED, Map.of(), e.toString());
        }
    }
}
