package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import relay.testing.RunningApp;

/** APP_TOKEN sign-in and the refusal of cross-site requests. */
class AccessTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final String MESSAGE = "{\"phone\":\"+5511999999999\",\"text\":\"hi\"}";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private RunningApp app;

    @BeforeEach
    void start() throws Exception {
        webhook.enqueue(new MockResponse.Builder().code(200).build());
        app = RunningApp.start(dir, Map.of("APP_TOKEN", TOKEN, "DEMO_RECEIVER", "true",
                "WEBHOOK_URL", webhook.url("/hook").toString()));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/chat/conversations", "/chat/webhook-status", "/chat/config", "/metrics",
            "/chat/events", "/demo/webhook", "/chat/messages?phone=11999999999"})
    void shouldRefuseProtectedReadsWithoutTheToken(String path) {
        HttpResponse<String> response = app.get(path);

        assertEquals(401, response.statusCode());
        assertEquals("unauthorized", json(response).path("error").path("code").asText());
        assertEquals("Bearer realm=\"chat-webhook-relay\"", response.headers().firstValue("WWW-Authenticate")
                .orElseThrow());
    }

    @Test
    void shouldLeaveThePagesHealthAndTheSessionProbeOpen() {
        assertEquals(200, app.get("/").statusCode());
        assertEquals(200, app.get("/settings").statusCode());
        assertEquals(200, app.get("/healthz").statusCode());
        HttpResponse<String> session = app.get("/chat/session");
        assertEquals(200, session.statusCode());
        assertTrue(json(session).path("auth_required").asBoolean());
        assertFalse(json(session).path("signed_in").asBoolean());
    }

    @Test
    void shouldAcceptTheTokenAsBearer() {
        HttpResponse<String> response = app.send(app.request("/chat/messages")
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build());

        assertEquals(202, response.statusCode(), response.body());
    }

    @Test
    void shouldRefuseAWrongBearerToken() {
        HttpResponse<String> response = app.send(app.request("/chat/webhook-status")
                .header("Authorization", "Bearer " + TOKEN + "x").build());

        assertEquals(401, response.statusCode());
    }

    @Test
    void shouldSignInWithACookieThatHoldsNotTheTokenAndSignOut() {
        HttpResponse<String> wrong = app.postJson("/login", "{\"token\":\"nope\"}");
        assertEquals(401, wrong.statusCode());
        assertEquals("invalid_token", json(wrong).path("error").path("code").asText());

        HttpResponse<String> login = app.postJson("/login", "{\"token\":\"" + TOKEN + "\"}");
        assertEquals(204, login.statusCode());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        assertFalse(cookie.contains(TOKEN), "the cookie must not carry the token itself");
        String session = cookie.substring(0, cookie.indexOf(';'));

        HttpResponse<String> status = app.send(app.request("/chat/webhook-status").header("Cookie", session).build());
        assertEquals(200, status.statusCode());
        assertTrue(json(app.send(app.request("/chat/session").header("Cookie", session).build()))
                .path("signed_in").asBoolean());

        HttpResponse<String> logout = app.post("/logout");
        assertEquals(204, logout.statusCode());
        assertTrue(logout.headers().firstValue("Set-Cookie").orElseThrow().contains("Max-Age=0"));
    }

    @Test
    void shouldLetTheWebhookSenderPostToTheDemoReceiverWithoutTheToken() {
        HttpResponse<String> response = app.send(app.request("/demo/webhook")
                .header("Content-Type", "application/json")
                .header("webhook-id", "msg_01m8evj50w2sqnbt17vswwbx52")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"message\",\"data\":{}}")).build());

        assertEquals(200, response.statusCode(), response.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://evil.example", "http://127.0.0.1:1", "null", "http://localhost.evil.example"})
    void shouldRefuseStateChangesFromAnotherOrigin(String origin) {
        HttpResponse<String> response = app.send(app.request("/chat/reset-webhook-circuit")
                .header("Authorization", "Bearer " + TOKEN).header("Origin", origin)
                .POST(HttpRequest.BodyPublishers.noBody()).build());

        assertEquals(403, response.statusCode());
        assertEquals("cross_origin", json(response).path("error").path("code").asText());
    }

    @Test
    void shouldRefuseARequestTheBrowserMarksCrossSite() {
        HttpResponse<String> response = app.send(app.request("/login")
                .header("Sec-Fetch-Site", "cross-site").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + TOKEN + "\"}")).build());

        assertEquals(403, response.statusCode());
    }

    @Test
    void shouldAcceptStateChangesFromItsOwnPages() {
        HttpResponse<String> response = app.send(app.request("/chat/reset-webhook-circuit")
                .header("Authorization", "Bearer " + TOKEN).header("Origin", "http://127.0.0.1:" + app.port())
                .header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.noBody()).build());

        assertEquals(200, response.statusCode(), response.body());
    }
}
