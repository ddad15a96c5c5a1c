package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.RunningApp;

/**
 * The set-up `.env.example` ships: the service delivers to its own demo receiver, so the seed's circuit-breaker test
 * (break the webhook, send five messages, watch it open, reset, fix) runs without any outside endpoint.
 */
class DemoLoopTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @TempDir
    Path dir;

    private RunningApp app;

    @BeforeEach
    void start() throws IOException {
        int port = freePort();
        app = RunningApp.start(dir, Map.of("PORT", String.valueOf(port), "DEMO_RECEIVER", "true",
                "WEBHOOK_URL", "http://127.0.0.1:" + port + "/demo/webhook", "WEBHOOK_SECRET", SECRET,
                "WEBHOOK_MAX_RETRIES", "0"));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void shouldDeliverToItselfWithAVerifiedSignature() {
        String id = app.sendText("+5511999999999", "hello demo");
        app.awaitStatus(id, "delivered");

        JsonNode received = json(app.get("/demo/webhook")).path("received").get(0);

        assertEquals(id, received.path("webhook_id").asText());
        assertEquals("valid", received.path("signature").asText());
        assertEquals(200, received.path("answered").asInt());
    }

    @Test
    void shouldRunTheSeedsCircuitBreakerTestByClicking() {
        assertEquals("failing", json(app.postJson("/demo/webhook/mode", "{\"mode\":\"failing\"}"))
                .path("mode").asText());
        for (int i = 1; i <= 5; i++) {
            app.awaitStatus(app.sendText("+5511999999999", "message " + i), "failed");
        }
        app.await("/chat/webhook-status", s -> s.path("circuit").path("state").asText().equals("open"));
        String held = app.sendText("+5511999999999", "waits for the fix");
        app.awaitStatus(held, "held");

        app.postJson("/demo/webhook/mode", "{\"mode\":\"healthy\"}");
        JsonNode status = json(app.post("/chat/reset-webhook-circuit"));

        assertEquals("closed", status.path("circuit").path("state").asText());
        app.awaitStatus(held, "delivered");
        JsonNode received = json(app.get("/demo/webhook"));
        assertEquals("healthy", received.path("mode").asText());
        assertEquals(6, received.path("received").size());
        assertTrue(received.path("received").get(0).path("webhook_id").asText().equals(held));
    }

    @Test
    void shouldTellEveryOpenPageOfAModeSwitch() throws Exception {
        try (EventStreamTest.Listener listener = new EventStreamTest.Listener(app.uri("/chat/events"))) {
            listener.next("circuit", c -> true);

            app.postJson("/demo/webhook/mode", "{\"mode\":\"gone\"}");

            assertEquals("gone", listener.next("demo_mode", m -> true).path("mode").asText());
        }
    }
}
