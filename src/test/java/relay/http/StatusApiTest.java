package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.config.Key;
import relay.testing.RunningApp;
import relay.testing.TestBackend;
import relay.testing.Webhooks;

/** The operator's view of delivery: the seed's status and reset routes, the test event, configuration, metrics. */
class StatusApiTest {
    private static final String PHONE = "+5511999999999";
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private QueueDispatcher responses;
    private RunningApp app;

    private RunningApp start(String... settings) throws Exception {
        responses = Webhooks.answerOkUnlessScripted(webhook);
        Map<String, String> values = new HashMap<>(Map.of("WEBHOOK_URL", webhook.url("/hooks/7730a1b2c3d466aa")
                .toString(), "CIRCUIT_FAILURE_THRESHOLD", "2", "WEBHOOK_MAX_RETRIES", "0", "INSTANCE_ID", "relay-a"));
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        app = RunningApp.start(dir, values);
        return app;
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldReportCircuitWebhookQueueStatsAndRecentFailures() throws Exception {
        start();
        responses.enqueue(new MockResponse.Builder().code(500).build());
        String failed = app.sendText(PHONE, "fails");
        app.awaitStatus(failed, "failed");
        app.awaitStatus(app.sendText(PHONE, "works"), "delivered");

        JsonNode status = json(app.get("/chat/webhook-status"));

        JsonNode circuit = status.path("circuit");
        assertEquals("closed", circuit.path("state").asText());
        assertEquals(0, circuit.path("consecutive_failures").asInt());
        assertEquals(2, circuit.path("failure_threshold").asInt());
        assertEquals(60, circuit.path("open_seconds").asInt());
        assertTrue(circuit.path("retry_at").isNull());
        JsonNode webhookView = status.path("webhook");
        assertEquals("http://" + webhook.getHostName() + ":" + webhook.getPort() + "/…",
                webhookView.path("url").asText());
        assertFalse(status.toString().contains("7730a1b2c3d466aa"), "the webhook path must be masked");
        assertTrue(webhookView.path("configured").asBoolean());
        assertEquals(0, webhookView.path("max_retries").path("pdf").asInt());
        assertEquals(16, webhookView.path("concurrency").asInt());
        assertEquals("inline", webhookView.path("attachments").asText());
        assertEquals(1, status.path("queue").path("failed").asInt());
        assertEquals(1, status.path("queue").path("delivered").asInt());
        assertEquals(2, status.path("stats").path("attempts").asInt());
        assertEquals(0.5, status.path("stats").path("success_rate").asDouble());
        JsonNode failure = status.path("recent_failures").get(0);
        assertEquals(failed, failure.path("message_id").asText());
        assertEquals(500, failure.path("status_code").asInt());
        assertEquals(1, failure.path("attempt").asInt());
        assertTrue(failure.path("at").asText().endsWith("Z"));
    }

    @Test
    void shouldOpenTheCircuitAndCloseItOnResetReleasingHeldMessages() throws Exception {
        start();
        responses.enqueue(new MockResponse.Builder().code(503).build());
        responses.enqueue(new MockResponse.Builder().code(503).build());
        app.awaitStatus(app.sendText(PHONE, "1"), "failed");
        app.awaitStatus(app.sendText(PHONE, "2"), "failed");
        app.await("/chat/webhook-status", s -> s.path("circuit").path("state").asText().equals("open"));
        int requestsBefore = webhook.getRequestCount();

        JsonNode accepted = json(app.postJson("/chat/messages", "{\"phone\":\"" + PHONE + "\",\"text\":\"waits\"}"));
        assertEquals("held", accepted.path("status").asText(), "stored as held from the start");
        String held = accepted.path("id").asText();
        JsonNode open = json(app.get("/chat/webhook-status")).path("circuit");
        assertTrue(open.path("seconds_until_retry").asLong() > 0);
        assertEquals(requestsBefore, webhook.getRequestCount(), "nothing reaches the webhook while open");

        HttpResponse<String> reset = app.post("/chat/reset-webhook-circuit");

        assertEquals(200, reset.statusCode());
        assertEquals("closed", json(reset).path("circuit").path("state").asText());
        app.awaitStatus(held, "delivered");
    }

    @Test
    void shouldSendATestEventThroughTheCircuitAndSayWhatHappened() throws Exception {
        start("WEBHOOK_SECRET", SECRET);

        JsonNode result = json(app.post("/chat/webhook-test"));

        assertEquals("delivered", result.path("status").asText());
        assertEquals(200, result.path("status_code").asInt());
        assertTrue(result.path("duration_ms").isNumber());
        RecordedRequest request = webhook.takeRequest(5, TimeUnit.SECONDS);
        assertTrue(request.getBody().utf8().contains("\"type\":\"webhook.test\""));
        assertTrue(request.getHeaders().get("webhook-id").startsWith("evt_"));
        assertTrue(request.getHeaders().get("webhook-signature").startsWith("v1,"));
    }

    @Test
    void shouldShowTheConfigurationInForceWithSecretsMaskedAndSources() throws Exception {
        start("WEBHOOK_SECRET", SECRET, "APP_TOKEN", "a-token-of-twenty-chars");

        HttpResponse<String> response = app.send(app.request("/chat/config")
                .header("Authorization", "Bearer a-token-of-twenty-chars").build());
        String body = response.body();

        assertFalse(body.contains(SECRET), "the secret must not appear");
        assertFalse(body.contains("a-token-of-twenty-chars"), "the token must not appear");
        assertFalse(body.contains("7730a1b2c3d466aa"), "the webhook path must be masked");
        Map<String, JsonNode> settings = new HashMap<>();
        json(response).path("settings").forEach(s -> settings.put(s.path("key").asText(), s));
        assertEquals("********", settings.get("WEBHOOK_SECRET").path("value").asText());
        assertTrue(settings.get("WEBHOOK_SECRET").path("secret").asBoolean());
        assertEquals("environment", settings.get("WEBHOOK_SECRET").path("source").asText());
        assertEquals("5", settings.get("WEBHOOK_TIMEOUT").path("value").asText());
        assertEquals("default", settings.get("WEBHOOK_TIMEOUT").path("source").asText());
        assertTrue(settings.get("PUBLIC_BASE_URL").path("value").isNull());
        assertEquals(Key.values().length, settings.size());
    }

    @Test
    void shouldExposePrometheusMetricsThatAgreeWithTheStatus() throws Exception {
        start();
        responses.enqueue(new MockResponse.Builder().code(500).build());
        app.awaitStatus(app.sendText(PHONE, "fails"), "failed");
        app.awaitStatus(app.sendText(PHONE, "works"), "delivered");

        HttpResponse<String> metrics = app.get("/metrics");

        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
        String text = metrics.body();
        assertTrue(text.contains("relay_messages_accepted_total{instance=\"relay-a\"} 2\n"), text);
        assertTrue(text.contains("relay_webhook_attempts_total{instance=\"relay-a\",result=\"success\"} 1\n"), text);
        assertTrue(text.contains("relay_webhook_attempts_total{instance=\"relay-a\",result=\"http_error\"} 1\n"),
                text);
        assertTrue(text.contains("relay_webhook_attempt_duration_seconds_count{instance=\"relay-a\"} 2\n"), text);
        assertTrue(text.contains("relay_webhook_attempt_duration_seconds_bucket{instance=\"relay-a\",le=\"+Inf\"} 2\n"),
                text);
        assertTrue(text.contains("relay_deliveries{instance=\"relay-a\",state=\"failed\"} 1\n"), text);
        assertTrue(text.contains("relay_circuit_state{instance=\"relay-a\",state=\"closed\"} 1\n"), text);
    }

    /** Every sample line is {@code name{instance="relay-a"…} value}; every family has its HELP and TYPE first. */
    @Test
    void shouldLabelEverySampleWithTheInstanceInValidPrometheusText() throws Exception {
        start();
        app.awaitStatus(app.sendText(PHONE, "works"), "delivered");

        String text = app.get("/metrics").body();

        Pattern sample = Pattern.compile("([a-z_]+)\\{instance=\"relay-a\"(,[a-z]+=\"[^\"\\\\]*\")*} -?[0-9.]+");
        Set<String> declared = new HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                declared.add(line.split(" ")[2]);
            } else if (!line.startsWith("# HELP ")) {
                Matcher m = sample.matcher(line);
                assertTrue(m.matches(), "not a sample labelled with the instance: " + line);
                String family = m.group(1).replaceAll("_(bucket|sum|count)$", "");
                assertTrue(declared.contains(family) || declared.contains(m.group(1)), "no TYPE before " + line);
            }
        }
        assertTrue(text.endsWith("\n"));
    }

    @Test
    void shouldReportHealthWithTheStore() throws Exception {
        start();

        HttpResponse<String> health = app.get("/healthz");

        assertEquals(200, health.statusCode());
        assertEquals("ok", json(health).path("status").asText());
        assertEquals("reachable", json(health).path("store").asText());
        assertEquals("relay-a", json(health).path("instance").asText());
        JsonNode database = json(health).path("database");
        assertEquals(TestBackend.current() == TestBackend.SQLITE ? "sqlite" : "postgresql",
                database.path("backend").asText());
        assertTrue(database.path("reachable").asBoolean());
        assertTrue(database.path("latency_ms").isNumber(), database.toString());
    }

    @Test
    void shouldKeepMessagesQueuedAndSayWhyWhenNoWebhookIsConfigured() throws Exception {
        app = RunningApp.start(dir, Map.of());

        JsonNode answer = json(app.postJson("/chat/messages?wait=true", "{\"phone\":\"" + PHONE + "\",\"text\":\"x\"}"));

        assertEquals("queued", answer.path("status").asText());
        assertEquals("WEBHOOK_URL is not set", answer.path("first_attempt").path("error").asText());
        JsonNode status = json(app.get("/chat/webhook-status"));
        assertFalse(status.path("webhook").path("configured").asBoolean());
        assertNull(status.path("webhook").path("url").textValue());
        assertTrue(status.path("webhook").path("warning").asText().contains("WEBHOOK_URL is not set"));
        assertEquals(1, status.path("queue").path("queued").asInt());
    }
}
