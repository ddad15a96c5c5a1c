package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StaticFilesTest {
    private static WebServer server;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws IOException {
        Router router = new Router()
                .get("/healthz", request -> request.respondJson(200, Map.of("status", "ok")))
                .post("/chat/things/{id}", request -> request.respondJson(200, Map.of("id", request.pathParam("id"))))
                .files(new StaticFiles("web"));
        server = WebServer.start("127.0.0.1", 0, router);
    }

    @AfterAll
    static void stop() {
        server.stop(Duration.ZERO);
    }

    private static HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> response) throws IOException {
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return Json.MAPPER.readTree(response.body()).path("error");
    }

    @Test
    void shouldServeTheChatPageAtTheRootWithSafetyHeaders() throws Exception {
        HttpResponse<String> response = send("GET", "/");

        assertEquals(200, response.statusCode());
        assertEquals("text/html; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertTrue(response.headers().firstValue("Content-Security-Policy").orElseThrow().contains("script-src 'self'"));
        assertTrue(response.headers().firstValue("ETag").isPresent());
        assertEquals("no-cache", response.headers().firstValue("Cache-Control").orElseThrow());
        assertTrue(response.body().contains("<html"));
    }

    @Test
    void shouldServeTheSettingsPage() throws Exception {
        HttpResponse<String> response = send("GET", "/settings");

        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("Settings"));
    }

    /**
     * A page names every module its script imports, however deep, as a modulepreload, so the browser fetches them all
     * with the page rather than one level of imports after another as it reads them; and it names nothing else.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/", "/settings"})
    void shouldPreloadEveryModuleThePageImportsAndNothingElse(String page) throws Exception {
        String html = send("GET", page).body();
        Matcher script = Pattern.compile("<script type=\"module\" src=\"(/js/[\\w-]+\\.js)\"></script>").matcher(html);
        assertTrue(script.find(), html);
        Set<String> preloaded = Pattern.compile("<link rel=\"modulepreload\" href=\"(/js/[\\w-]+\\.js)\">")
                .matcher(html).results().map(m -> m.group(1)).collect(Collectors.toCollection(TreeSet::new));

        assertEquals(importsOf(script.group(1)), preloaded);
    }

    /** Every module {@code module} imports, itself or through others, as the server serves them. */
    private static Set<String> importsOf(String module) throws IOException, InterruptedException {
        Pattern specifier = Pattern.compile("(?:from|import)\\s*\\(?\\s*'\\./([\\w-]+\\.js)'");
        Set<String> found = new TreeSet<>();
        Deque<String> toRead = new ArrayDeque<>(List.of(module));
        while (!toRead.isEmpty()) {
            HttpResponse<String> source = send("GET", toRead.pop());
            assertEquals(200, source.statusCode(), source.uri().toString());
            specifier.matcher(source.body()).results().map(m -> "/js/" + m.group(1)).filter(found::add)
                    .forEach(toRead::add);
        }
        return found;
    }

    @Test
    void shouldAnswerNotModifiedForAMatchingEtag() throws Exception {
        String etag = send("GET", "/index.html").headers().firstValue("ETag").orElseThrow();

        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/index.html"))
                .header("If-None-Match", etag).build();
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());

        assertEquals(304, response.statusCode());
        assertEquals("", response.body());
    }

    @Test
    void shouldAnswerHeadWithoutABody() throws Exception {
        HttpResponse<String> response = send("HEAD", "/");

        assertEquals(200, response.statusCode());
        assertEquals("", response.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/../pom.xml", "/..%2fpom.xml", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/web/../../pom.xml", "/..\\pom.xml", "/%5c..%5cpom.xml", "//etc/passwd", "/%2fetc%2fpasswd",
        "/.hidden", "/relay/App.class", "/missing.html", "/index.html%00.txt", "/%c0%ae%c0%ae/pom.xml",
    })
    void shouldRefuseAnythingOutsideTheWebFolderWithJson404(String path) throws Exception {
        RawResponse response = sendRaw("GET", path);

        assertTrue(response.status() == 404 || response.status() == 400, path + " → " + response.status());
        assertTrue(!response.body().contains("<project") && !response.body().contains("root:"), response.body());
    }

    /** The JDK client normalises some paths itself; a raw socket sends them exactly as an attacker would. */
    private record RawResponse(int status, String body) {
    }

    private static RawResponse sendRaw(String method, String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(raw.substring(9, 12));
            String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
            return new RawResponse(status, body);
        }
    }

    @Test
    void shouldAnswerUnknownApiPathsWithJson404() throws Exception {
        HttpResponse<String> response = send("GET", "/chat/nothing-here");

        assertEquals(404, response.statusCode());
        assertEquals("not_found", error(response).path("code").asText());
    }

    @Test
    void shouldShowABrowserTheNotFoundPageAndAnApiClientJson() throws Exception {
        HttpRequest browser = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/chat/nope"))
                .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").GET().build();

        HttpResponse<String> page = CLIENT.send(browser, HttpResponse.BodyHandlers.ofString());

        assertEquals(404, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertTrue(page.headers().firstValue("ETag").isEmpty(), "a 404 is never revalidated into a 304");
        assertTrue(page.body().contains("href=\"/\""), "a way back to the chat");
        assertEquals("not_found", error(send("GET", "/chat/nope")).path("code").asText());
    }

    @Test
    void shouldAnswerAWrongMethodWith405AndAllow() throws Exception {
        HttpResponse<String> response = send("DELETE", "/healthz");

        assertEquals(405, response.statusCode());
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElseThrow());
        assertEquals("method_not_allowed", error(response).path("code").asText());
    }

    @Test
    void shouldAnswerAWriteToAPageWith405() throws Exception {
        HttpResponse<String> response = send("POST", "/settings");

        assertEquals(405, response.statusCode());
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void shouldPassPathParametersToTheHandler() throws Exception {
        HttpResponse<String> response = send("POST", "/chat/things/abc");

        assertEquals(200, response.statusCode());
        assertEquals("abc", Json.MAPPER.readTree(response.body()).path("id").asText());
    }
}
