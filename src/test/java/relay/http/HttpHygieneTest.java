package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static relay.testing.RunningApp.json;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import relay.testing.Await;
import relay.testing.Forms;
import relay.testing.RawHttp;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * HTTP/1.1 manners: HEAD answered wherever GET is, refusals that reach the client at once instead of after it sent
 * more of a body nobody will read, and {@code Connection: close} whenever the server leaves a body unread.
 */
class HttpHygieneTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final String BEARER = "Authorization: Bearer " + TOKEN;
    private static final String PHONE = "+5511999999999";
    private static final long TEN_MB = 10L * 1024 * 1024;

    @TempDir
    static Path dir;

    private static final MockWebServer webhook = new MockWebServer();
    private static RunningApp app;
    private static final Map<String, String> ids = new HashMap<>();

    @BeforeAll
    static void start() throws IOException {
        Webhooks.answerOkUnlessScripted(webhook);
        webhook.start();
        app = RunningApp.start(dir, Map.of("APP_TOKEN", TOKEN, "DEMO_RECEIVER", "true", "MAX_ATTACHMENT_MB", "1",
                "WEBHOOK_URL", webhook.url("/hook").toString()));
        String attachment = json(app.send(app.request("/chat/attachments").header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/pdf").header("X-Filename", "a.pdf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Forms.PDF)).build())).path("id").asText();
        String message = json(app.send(app.request("/chat/messages").header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"phone\":\"" + PHONE + "\",\"attachment_id\":\"" + attachment + "\"}")).build()))
                .path("id").asText();
        ids.put("attachments", attachment);
        ids.put("messages", message);
        // Settled, so that the pages a GET and a HEAD read in turn say the same.
        Await.until("message delivered", () -> json(app.send(app.request("/chat/messages/" + message)
                .header("Authorization", "Bearer " + TOKEN).GET().build())).path("status").asText(),
                "delivered"::equals);
    }

    @AfterAll
    static void stop() throws IOException {
        app.close();
        webhook.close();
    }

    /** Every GET route but the event stream, with real ids and the query each needs to answer 200. */
    static Stream<Arguments> getRoutes() {
        return app.app().routes().stream()
                .filter(route -> route.method().equals("GET") && !route.pattern().equals("/chat/events"))
                .map(route -> Arguments.of(concrete(route.pattern())));
    }

    private static String concrete(String pattern) {
        String path = pattern.contains("{id}") ? pattern.replace("{id}", ids.get(pattern.split("/")[2])) : pattern;
        return switch (pattern) {
            case "/chat/messages", "/chat/phone-check" -> path + "?phone=" + PHONE.substring(1);
            case "/chat/contacts/{phone}" -> "/chat/contacts/" + PHONE.substring(1);
            case "/chat/search" -> path + "?q=hello";
            default -> path;
        };
    }

    @ParameterizedTest
    @MethodSource("getRoutes")
    void shouldAnswerHeadWithTheStatusAndHeadersOfGetAndNoBody(String path) {
        RawHttp.Response get = RawHttp.send(app.port(), "GET", path, BEARER);
        RawHttp.Response head = RawHttp.send(app.port(), "HEAD", path, BEARER);

        assertEquals(200, get.status(), path + " " + get.body());
        assertEquals(get.status(), head.status());
        assertEquals(comparable(path, get.headers()), comparable(path, head.headers()));
        assertTrue(head.header("Content-Length").isPresent(), path);
        assertEquals("", head.body());
    }

    /**
     * The headers a GET and a HEAD must share: not the date, nor the length of /healthz, whose body carries the
     * latency measured for that request (0.4 one time, 0.42 the next).
     */
    private static Map<String, List<String>> comparable(String path, Map<String, List<String>> headers) {
        Map<String, List<String>> copy = new HashMap<>(headers);
        copy.remove("date");
        if (path.equals("/healthz")) {
            copy.remove("content-length");
        }
        return copy;
    }

    @Test
    void shouldAnswerHeadForTheEventStreamAndEndIt() {
        RawHttp.Response head = RawHttp.send(app.port(), "HEAD", "/chat/events", BEARER);

        assertEquals(200, head.status());
        assertEquals("text/event-stream; charset=utf-8", head.header("Content-Type").orElseThrow());
    }

    @Test
    void shouldAnswerHeadForAMissingAttachmentWithTheSame404() {
        RawHttp.Response get = RawHttp.send(app.port(), "GET", "/chat/attachments/att_01m8evj50w2sqnbt17vswwbx52",
                BEARER);
        RawHttp.Response head = RawHttp.send(app.port(), "HEAD", "/chat/attachments/att_01m8evj50w2sqnbt17vswwbx52",
                BEARER);

        assertEquals(404, head.status());
        assertEquals(get.header("Content-Length"), head.header("Content-Length"));
        assertEquals(get.header("Content-Type"), head.header("Content-Type"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "DELETE | /healthz            | GET, HEAD",
        "POST   | /chat/conversations | GET, HEAD",
        "PUT    | /chat/messages      | GET, HEAD, POST",
        "POST   | /js/api.js          | GET, HEAD",
    })
    void shouldListHeadWithGetInAllow(String method, String path, String allow) {
        RawHttp.Response response = RawHttp.send(app.port(), method, path, BEARER, "Content-Length: 0");

        assertEquals(405, response.status());
        assertEquals(allow, response.header("Allow").orElseThrow());
    }

    /** A request announcing 10 MB, of which only the headers and a few bytes are sent. */
    record Refusal(String name, int status, String code, List<String> head) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Refusal> earlyRefusals() {
        return Stream.of(
                new Refusal("401 without the token", 401, "unauthorized",
                        List.of("POST /chat/messages HTTP/1.1", "Content-Type: application/json")),
                new Refusal("401 upload without the token", 401, "unauthorized",
                        List.of("POST /chat/attachments HTTP/1.1", "Content-Type: application/pdf")),
                new Refusal("413 JSON body too large", 413, "body_too_large",
                        List.of("POST /chat/messages HTTP/1.1", "Content-Type: application/json", BEARER)),
                new Refusal("413 upload over MAX_ATTACHMENT_MB", 413, "attachment_too_large",
                        List.of("POST /chat/attachments HTTP/1.1", "Content-Type: application/pdf", BEARER)),
                new Refusal("415 not JSON", 415, "unsupported_media_type",
                        List.of("POST /chat/messages HTTP/1.1", "Content-Type: text/plain", BEARER)),
                new Refusal("421 another host", 421, "misdirected_request",
                        List.of("POST http://evil.example/chat/messages HTTP/1.1", "Content-Type: application/json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("earlyRefusals")
    void shouldAnswerARefusalAtOnceAndCloseTheConnection(Refusal refusal) throws IOException {
        List<String> head = new ArrayList<>(refusal.head());
        head.add(1, "Host: 127.0.0.1:" + app.port());
        head.add("Content-Length: " + TEN_MB);
        try (Socket socket = RawHttp.open(app.port())) {
            RawHttp.write(socket, head, "{\"phone\"".getBytes(StandardCharsets.UTF_8));

            RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);

            assertEquals(refusal.status(), response.status(), response.body());
            assertEquals(refusal.code(), errorCode(response.body()));
            assertEquals("close", response.header("Connection").orElseThrow(),
                    "the client must not send its next request on this connection");
        }
    }

    @Test
    void shouldKeepTheConnectionOpenWhenTheBodyWasRead() throws IOException {
        byte[] body = "{\"token\":\"wrong-but-read-to-the-end\"}".getBytes(StandardCharsets.UTF_8);
        try (Socket socket = RawHttp.open(app.port())) {
            List<String> head = List.of("POST /login HTTP/1.1", "Host: 127.0.0.1:" + app.port(),
                    "Content-Type: application/json", "Content-Length: " + body.length);
            RawHttp.write(socket, head, body);
            RawHttp.Response refused = RawHttp.read(socket.getInputStream(), false);
            RawHttp.write(socket, List.of("GET /healthz HTTP/1.1", "Host: 127.0.0.1:" + app.port()), new byte[0]);
            RawHttp.Response next = RawHttp.read(socket.getInputStream(), false);

            assertEquals(401, refused.status());
            assertFalse(refused.header("Connection").isPresent(), refused.headers().toString());
            assertEquals(200, next.status(), "the same connection serves the next request");
        }
    }

    @Test
    void shouldCloseTheConnectionAfterAnAnswerThatLeftAChunkedBodyUnread() throws IOException {
        try (Socket socket = RawHttp.open(app.port())) {
            List<String> head = List.of("POST /chat/messages HTTP/1.1", "Host: 127.0.0.1:" + app.port(),
                    "Content-Type: text/plain", BEARER, "Transfer-Encoding: chunked");
            RawHttp.write(socket, head, "5\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));

            RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);

            assertEquals(415, response.status());
            assertEquals("close", response.header("Connection").orElseThrow());
        }
    }

    private static String errorCode(String body) throws IOException {
        return Json.MAPPER.readTree(body).path("error").path("code").asText();
    }
}
