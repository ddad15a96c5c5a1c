package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import relay.testing.RawHttp;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * With APP_TOKEN set, no spelling of a request reaches a protected route without the token. The routes are read
 * from the running service, so a route added later is covered without touching this test; every spelling is sent
 * byte for byte over a socket, as an attacker would send it, and must be refused with 401 — or earlier, by the Host
 * check or by the JDK's own request parser — and leave nothing behind.
 */
class ProtectedRoutesTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final String MESSAGE_ID = "msg_01m8evj50w2sqnbt17vswwbx52";
    private static final String ATTACHMENT_ID = "att_01m8evj50w2sqnbt17vswwbx52";
    /** What a browser sends when the operator opens an address: the only requests that may get the 404 page. */
    private static final String BROWSER_ACCEPT = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
            + "*/*;q=0.8";

    @TempDir
    static Path dir;

    private static final MockWebServer webhook = new MockWebServer();
    private static RunningApp app;

    @BeforeAll
    static void start() throws IOException {
        Webhooks.answerOkUnlessScripted(webhook);
        webhook.start();
        // Wrong bearer tokens are sign-in failures; this test sends many on purpose and checks 401, not the limit.
        app = RunningApp.start(dir, Map.of("APP_TOKEN", TOKEN, "DEMO_RECEIVER", "true",
                "LOGIN_FAILURES_PER_MINUTE", "1000", "WEBHOOK_URL", webhook.url("/hook").toString()));
    }

    @AfterAll
    static void stop() throws IOException {
        app.close();
        webhook.close();
    }

    /** How a spelling must be refused. */
    enum Refusal {
        /** 401 JSON {@code unauthorized}: the normal answer without the token. */
        SIGN_IN,
        /** 421: the target names a host this server does not answer for; checked before access. */
        FOREIGN_HOST,
        /** 400 from the JDK's request parser, before any of our code runs (no JSON: see the README). */
        JDK,
        /**
         * 404 from the JDK, before any of our code runs: {@code //metrics} parses as host {@code metrics} and an
         * empty path, which no server context (they all start with {@code /}) can hold.
         */
        JDK_NO_CONTEXT,
        /** 403 {@code invalid_token}: a signed-link route let the request in to check its link token itself. */
        LINK_CHECKED
    }

    /** One way to write a request for a route: method, target and extra headers. */
    record Spelling(String name, String method, String target, List<String> headers, Refusal refusal) {
    }

    /** Builds the spellings of one route; {@code path} is its pattern with parameters filled in. */
    private static List<Spelling> spellings(Router.Route route, String path, int port) {
        String method = route.method();
        String first = "/" + path.substring(1).split("/")[0];
        String rest = path.substring(first.length());
        String tail = path.substring(1);
        boolean signedLink = route.visibility() == Visibility.SIGNED_LINK;
        String oldCookie = hmac(TOKEN, "chat-webhook-relay session");
        List<Spelling> all = new ArrayList<>();
        Function<String, String> innerSlash = slash -> rest.isEmpty() ? "/" + slash + tail : first + slash
                + rest.substring(1);
        Object[][] table = {
            {"as declared", method, path, List.of(), Refusal.SIGN_IN},
            {"absolute form naming another host, with //", method, "http://x/" + path, List.of(),
                Refusal.FOREIGN_HOST},
            {"absolute form with //", method, "http://127.0.0.1:" + port + "/" + path, List.of(), Refusal.SIGN_IN},
            {"absolute form", method, "http://127.0.0.1:" + port + path, List.of(), Refusal.SIGN_IN},
            {"absolute form, https and upper-case scheme", method, "HTTPS://localhost" + path, List.of(),
                Refusal.SIGN_IN},
            {"leading //", method, "/" + path, List.of(), rest.isEmpty() ? Refusal.JDK_NO_CONTEXT : Refusal.SIGN_IN},
            {"leading ///", method, "//" + path, List.of(), Refusal.SIGN_IN},
            {"inner //", method, first + "/" + rest, List.of(), Refusal.SIGN_IN},
            {"trailing /", method, path + "/", List.of(), Refusal.SIGN_IN},
            {"%2F for a slash", method, innerSlash.apply("%2F"), List.of(), Refusal.SIGN_IN},
            {"%2f for a slash", method, innerSlash.apply("%2f"), List.of(), Refusal.SIGN_IN},
            {"%5C for a slash", method, innerSlash.apply("%5C"), List.of(), Refusal.SIGN_IN},
            {"raw backslash for a slash", method, innerSlash.apply("\\"), List.of(), Refusal.JDK},
            {"double-encoded %252F", method, innerSlash.apply("%252F"), List.of(), Refusal.SIGN_IN},
            {"/./ in front", method, "/./" + tail, List.of(), Refusal.SIGN_IN},
            {"/x/../ in front", method, "/x/../" + tail, List.of(), Refusal.SIGN_IN},
            {"%2e%2e in front", method, "/x/%2e%2e/" + tail, List.of(), Refusal.SIGN_IN},
            {".%2E in front", method, "/x/.%2E/" + tail, List.of(), Refusal.SIGN_IN},
            {"%2e in front", method, "/%2e/" + tail, List.of(), Refusal.SIGN_IN},
            {"overlong UTF-8 dots", method, "/x/%c0%ae%c0%ae/" + tail, List.of(), Refusal.SIGN_IN},
            {"upper case", method, path.toUpperCase(Locale.ROOT), List.of(), Refusal.SIGN_IN},
            {"a letter percent-encoded", method, "/%" + HexFormat.of().toHexDigits((byte) path.charAt(1))
                    + path.substring(2), List.of(), Refusal.SIGN_IN},
            {"; parameters at the end", method, path + ";jsessionid=1", List.of(), Refusal.SIGN_IN},
            {"; parameters in the first segment", method, first + ";a=b" + rest, List.of(), Refusal.SIGN_IN},
            {"%00 at the end", method, path + "%00", List.of(), Refusal.SIGN_IN},
            {"encoded CR LF", method, path + "%0D%0AX:%201", List.of(), Refusal.SIGN_IN},
            {"invalid percent-encoding", method, path + "%zz", List.of(), Refusal.JDK},
            {"a fragment", method, path + "#top", List.of(), Refusal.SIGN_IN},
            {"HEAD", "HEAD", path, List.of(), Refusal.SIGN_IN},
            {"OPTIONS", "OPTIONS", path, List.of(), Refusal.SIGN_IN},
            {"PUT", "PUT", path, List.of(), Refusal.SIGN_IN},
            {"DELETE", "DELETE", path, List.of(), Refusal.SIGN_IN},
            {"lower-case method", method.toLowerCase(Locale.ROOT), path, List.of(), Refusal.SIGN_IN},
            {"a link token in the query", method, path + "?token=1700000000." + "A".repeat(43),
                List.of(), signedLink ? Refusal.LINK_CHECKED : Refusal.SIGN_IN},
            {"the app token in the query", method, path + "?token=" + TOKEN, List.of(),
                signedLink ? Refusal.LINK_CHECKED : Refusal.SIGN_IN},
            {"the app token as Basic", method, path, List.of("Authorization: Basic " + Base64.getEncoder()
                    .encodeToString(("relay:" + TOKEN).getBytes(StandardCharsets.UTF_8))), Refusal.SIGN_IN},
            {"the app token in another scheme", method, path, List.of("Authorization: Token " + TOKEN),
                Refusal.SIGN_IN},
            {"an empty bearer", method, path, List.of("Authorization: Bearer "), Refusal.SIGN_IN},
            {"a wrong bearer", method, path, List.of("Authorization: Bearer " + TOKEN + "x"), Refusal.SIGN_IN},
            {"the token as cookie", method, path, List.of("Cookie: relay_session=" + TOKEN), Refusal.SIGN_IN},
            {"the old token-derived cookie", method, path, List.of("Cookie: relay_session=" + oldCookie),
                Refusal.SIGN_IN},
            {"a forwarded loopback address", method, path, List.of("X-Forwarded-For: 127.0.0.1",
                "X-Real-IP: 127.0.0.1"), Refusal.SIGN_IN},
            {"a browser opening it", method, path, List.of(BROWSER_ACCEPT), Refusal.SIGN_IN},
            {"a browser opening it, HEAD", "HEAD", path, List.of(BROWSER_ACCEPT), Refusal.SIGN_IN},
            {"a browser opening it, Accept in capitals", method, path, List.of("ACCEPT: TEXT/HTML"),
                Refusal.SIGN_IN},
        };
        for (Object[] row : table) {
            @SuppressWarnings("unchecked")
            List<String> headers = (List<String>) row[3];
            all.add(new Spelling((String) row[0], (String) row[1], (String) row[2], headers, (Refusal) row[4]));
        }
        return all;
    }

    private static String concrete(Router.Route route) {
        String id = route.pattern().startsWith("/chat/attachments/") ? ATTACHMENT_ID : MESSAGE_ID;
        return route.pattern().replaceAll("\\{[^}/]+}", id);
    }

    private static List<Router.Route> protectedRoutes() {
        return app.app().routes().stream().filter(route -> route.visibility() != Visibility.PUBLIC).toList();
    }

    static Stream<Arguments> everySpellingOfEveryProtectedRoute() {
        return protectedRoutes().stream().flatMap(route -> spellings(route, concrete(route), app.port()).stream()
                .map(spelling -> Arguments.of(route.method() + " " + route.pattern(), spelling.name(), spelling)));
    }

    @Test
    void shouldThrowAtLeastTwentyFiveSpellingsAtEachOfManyProtectedRoutes() {
        assertTrue(protectedRoutes().size() >= 15, protectedRoutes().toString());
        assertTrue(spellings(protectedRoutes().getFirst(), "/chat/x", 1).size() >= 25);
    }

    @Test
    void shouldOpenOnlyTheRoutesMeantToBeOpen() {
        Set<String> open = app.app().routes().stream().filter(route -> route.visibility() != Visibility.PROTECTED)
                .map(route -> route.method() + " " + route.pattern() + " " + route.visibility())
                .collect(Collectors.toSet());

        assertEquals(Set.of("GET /healthz PUBLIC", "GET /chat/session PUBLIC", "POST /login PUBLIC",
                "POST /logout PUBLIC", "POST /demo/webhook PUBLIC", "GET /chat/attachments/{id} SIGNED_LINK"), open);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everySpellingOfEveryProtectedRoute")
    void shouldRefuseEverySpellingWithoutTheToken(String route, String name, Spelling spelling) throws Exception {
        List<String> head = new ArrayList<>();
        head.add(spelling.method() + " " + spelling.target() + " HTTP/1.1");
        head.add("Host: 127.0.0.1:" + app.port());
        head.addAll(spelling.headers());
        RawHttp.Response response = RawHttp.send(app.port(), head);

        String shown = spelling.method() + " " + spelling.target() + " → " + response.status() + " "
                + response.body();
        switch (spelling.refusal()) {
            case SIGN_IN -> {
                assertEquals(401, response.status(), shown);
                assertEquals("Bearer realm=\"chat-webhook-relay\"", response.header("WWW-Authenticate").orElse(""));
                assertErrorCode(response, spelling, "unauthorized");
            }
            case FOREIGN_HOST -> {
                assertEquals(421, response.status(), shown);
                assertErrorCode(response, spelling, "misdirected_request");
            }
            case JDK -> {
                assertEquals(400, response.status(), shown);
                assertFalse(response.isJson(), "the JDK answers before our code: " + shown);
            }
            case JDK_NO_CONTEXT -> {
                assertEquals(404, response.status(), shown);
                assertFalse(response.isJson(), "the JDK answers before our code: " + shown);
            }
            case LINK_CHECKED -> {
                assertEquals(403, response.status(), shown);
                assertErrorCode(response, spelling, "invalid_token");
            }
        }
        assertNothingHappened();
    }

    private static void assertErrorCode(RawHttp.Response response, Spelling spelling, String code) throws IOException {
        assertTrue(response.isJson(), "a JSON error: " + response.headers());
        if (!spelling.method().equals("HEAD")) {
            assertEquals(code, Json.MAPPER.readTree(response.body()).path("error").path("code").asText());
        }
    }

    /** No message, attachment, webhook call, demo receipt or demo mode change, no session and no saved setting. */
    private static void assertNothingHappened() {
        assertEquals(0, app.count("SELECT COUNT(*) FROM messages"), "no message stored");
        assertEquals(0, app.count("SELECT COUNT(*) FROM attachments"), "no attachment stored");
        assertEquals(0, app.count("SELECT COUNT(*) FROM sessions"), "no session started");
        // On PostgreSQL the key that signs attachment links is a settings row from the start, not a saved setting.
        assertEquals(0, app.count("SELECT COUNT(*) FROM settings WHERE key <> 'attachment_link_key'"),
                "no configuration saved");
        assertEquals(0, webhook.getRequestCount(), "nothing sent to the webhook");
        JsonNode demo = json(app.send(app.request("/demo/webhook").header("Authorization", "Bearer " + TOKEN)
                .GET().build()));
        assertEquals("healthy", demo.path("mode").asText());
        assertEquals(0, demo.path("received").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nothing", "/chat/nothing-here", "/favicon.ico", "/chat//session", "/healthz/",
        "/chat/./session", "/x/../healthz", "/%2e%2e/pom.xml", "/js%2Fapi.js", "/HEALTHZ", "/index.html%00"})
    void shouldAskForTheTokenBeforeSayingAPathIsUnknownOrMalformed(String path) {
        RawHttp.Response anonymous = RawHttp.send(app.port(), "GET", path);
        RawHttp.Response signedIn = RawHttp.send(app.port(), "GET", path, "Authorization: Bearer " + TOKEN);

        assertEquals(401, anonymous.status(), path + " " + anonymous.body());
        assertTrue(signedIn.status() == 404 || signedIn.status() == 400, path + " " + signedIn.body());
        assertTrue(signedIn.isJson());
    }

    /** The page holds no data and nothing is behind the path, so it needs no token; see the spellings above. */
    @ParameterizedTest
    @ValueSource(strings = {"/nothing", "/chat/nothing-here", "/favicon.ico", "/HEALTHZ", "/chat/messages/x/y",
        "/demo/webhook/nothing"})
    void shouldShowABrowserTheAppsOwnNotFoundPageWhereNothingAnswers(String path) {
        for (List<String> extra : List.of(List.<String>of(), List.of("Authorization: Bearer " + TOKEN))) {
            List<String> headers = new ArrayList<>(extra);
            headers.add(BROWSER_ACCEPT);
            RawHttp.Response page = RawHttp.send(app.port(), "GET", path, headers.toArray(String[]::new));
            RawHttp.Response head = RawHttp.send(app.port(), "HEAD", path, headers.toArray(String[]::new));

            assertEquals(404, page.status(), path);
            assertEquals("text/html; charset=utf-8", page.header("Content-Type").orElseThrow());
            assertEquals(StaticFiles.CONTENT_SECURITY_POLICY, page.header("Content-Security-Policy").orElseThrow());
            assertEquals("no-store", page.header("Cache-Control").orElseThrow());
            assertTrue(page.body().contains("Nothing is here"), page.body());
            assertEquals(404, head.status(), path);
            assertEquals("", head.body());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/chat//session", "/chat/./session", "/%2e%2e/pom.xml", "/js%2Fapi.js"})
    void shouldAskABrowserForTheTokenBeforeSayingAPathIsMalformed(String path) {
        RawHttp.Response response = RawHttp.send(app.port(), "GET", path, BROWSER_ACCEPT);

        assertEquals(401, response.status(), path + " " + response.body());
        assertTrue(response.isJson());
    }

    @Test
    void shouldAskABrowserForTheTokenBeforeAnythingButReadingAPath() {
        for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS")) {
            RawHttp.Response response = RawHttp.send(app.port(), method, "/nothing", BROWSER_ACCEPT,
                    "Content-Length: 0");

            assertEquals(401, response.status(), method);
            assertTrue(response.isJson(), method);
        }
    }

    @Test
    void shouldAnswerMalformedPathsWithInvalidPathOnceSignedIn() throws IOException {
        RawHttp.Response response = RawHttp.send(app.port(), "POST", "http://127.0.0.1:" + app.port()
                + "//chat/messages", "Authorization: Bearer " + TOKEN, "Content-Length: 0");

        assertEquals(400, response.status());
        assertEquals("invalid_path", Json.MAPPER.readTree(response.body()).path("error").path("code").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/settings", "/index.html", "/js/api.js", "/css/app.css", "/favicon.svg"})
    void shouldServeThePagesAndAssetsWithoutTheToken(String path) {
        assertEquals(200, RawHttp.send(app.port(), "GET", path).status());
        assertEquals(200, RawHttp.send(app.port(), "HEAD", path).status());
    }

    @Test
    void shouldAskForTheTokenBeforeRefusingAWriteToAPage() {
        assertEquals(401, RawHttp.send(app.port(), "POST", "/settings", "Content-Length: 0").status());
        RawHttp.Response signedIn = RawHttp.send(app.port(), "POST", "/settings", "Content-Length: 0",
                "Authorization: Bearer " + TOKEN);
        assertEquals(405, signedIn.status());
        assertEquals("GET, HEAD", signedIn.header("Allow").orElseThrow());
    }

    @Test
    void shouldServeHealthAndTheSessionProbeWithoutTheToken() {
        assertEquals(200, RawHttp.send(app.port(), "GET", "/healthz").status());
        assertEquals(200, RawHttp.send(app.port(), "GET", "/chat/session").status());
    }

    private static String hmac(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(data.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
