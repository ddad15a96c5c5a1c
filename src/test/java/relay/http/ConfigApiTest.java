package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.config.ConfigLoader;
import relay.testing.FakeClock;
import relay.testing.LogCapture;
import relay.testing.RunningApp;
import relay.testing.Webhooks;
import relay.webhook.Signer;

/**
 * {@code /chat/config}: the delivery settings changed while the service runs — checked as {@code .env} is, refused
 * whole, saved across restarts, said where each value comes from, announced live, and the signing secret never shown.
 */
class ConfigApiTest {
    private static final String PHONE = "+5511999999999";
    private static final String SECRET_A = secret('a');
    private static final String SECRET_B = secret('b');

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @StartStop
    public final MockWebServer other = new MockWebServer();

    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>();
    private RunningApp app;

    @BeforeEach
    void startWebhooks() {
        Webhooks.answerOkUnlessScripted(webhook);
        Webhooks.answerOkUnlessScripted(other);
        env.put("WEBHOOK_URL", webhook.url("/hook/token-1234567890").toString());
        env.put("WEBHOOK_TIMEOUT", "7");
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private void start() throws IOException {
        app = RunningApp.start(dir.resolve("data"), env);
    }

    @Test
    void shouldChangeOnlyTheFieldsGivenAndSayWhereEachValueComesFrom() throws Exception {
        start();

        HttpResponse<String> changed = put("{\"webhook_timeout\":12,\"circuit_failure_threshold\":\"3\"}");

        assertEquals(200, changed.statusCode(), changed.body());
        assertEquals(List.of("CIRCUIT_FAILURE_THRESHOLD", "WEBHOOK_TIMEOUT"), names(json(changed).path("changed")));
        JsonNode config = json(app.get("/chat/config"));
        assertSetting(config, "WEBHOOK_TIMEOUT", "12", "saved");
        assertSetting(config, "CIRCUIT_FAILURE_THRESHOLD", "3", "saved");
        assertSetting(config, "WEBHOOK_MAX_RETRIES", "3", "default");
        assertSetting(config, "WEBHOOK_URL", "http://" + webhook.getHostName() + ":" + webhook.getPort() + "/…",
                "environment");
        assertTrue(setting(config, "WEBHOOK_TIMEOUT").path("live").asBoolean());
        assertFalse(setting(config, "PORT").path("live").asBoolean());
        JsonNode status = json(app.get("/chat/webhook-status"));
        assertEquals(12, status.at("/webhook/timeout_seconds").asInt(), "the status shows what is in force");
        assertEquals(3, status.at("/circuit/failure_threshold").asInt());
    }

    /** Each field refused with the very line {@code .env} gets for the same value, and nothing changed. */
    @ParameterizedTest
    @CsvSource({
            "webhook_url, ftp://files.example.com/drop",
            "webhook_url, not a url",
            "webhook_timeout, 31",
            "webhook_timeout, soon",
            "webhook_max_retries, 11",
            "webhook_max_retries_pdf, -1",
            "webhook_max_retries_video, 2.5",
            "webhook_retry_base_seconds, 0",
            "webhook_retry_max_seconds, 1",
            "webhook_concurrency, 257",
            "webhook_ordering, random",
            "circuit_failure_threshold, 0",
            "circuit_open_seconds, 3601",
            "webhook_attachments, base64",
            "webhook_secret, whsec_c2hvcnQ=",
            "webhook_secret, hunter2-not-a-whsec",
    })
    void shouldRefuseABadValueWithTheMessageDotEnvGivesAndChangeNothing(String field, String value) throws Exception {
        start();
        String before = app.get("/chat/config").body();
        String key = field.toUpperCase();

        String good = field.equals("webhook_timeout") ? "webhook_concurrency" : "webhook_timeout";

        HttpResponse<String> refused = put("{\"" + good + "\":9,\"" + field + "\":\"" + value + "\"}");

        assertEquals(400, refused.statusCode(), refused.body());
        JsonNode error = json(refused).path("error");
        assertEquals("invalid_config", error.path("code").asText());
        assertEquals(field, error.path("field").asText());
        assertEquals(dotEnvProblem(key, value), error.path("message").asText());
        assertEquals(before, app.get("/chat/config").body(), "a refused change changes nothing, not even the "
                + "good field beside the bad one");
        assertFalse(refused.body().contains("hunter2"), "a secret is never echoed");
    }

    @Test
    void shouldRefuseWhatOnlyARestartChangesAndBodiesThatAreNotAChange() throws Exception {
        start();

        assertError(put("{\"port\":\"9090\"}"), "not_live", "port");
        assertError(put("{\"app_token\":\"0123456789abcdef0123\"}"), "not_live", "app_token");
        assertError(put("{\"no_such_setting\":1}"), "unknown_field", "no_such_setting");
        assertError(put("{\"webhook_timeout\":true}"), "invalid_type", "webhook_timeout");
        assertError(put("{}"), "nothing_to_change", null);
        assertEquals("7", setting(json(app.get("/chat/config")), "WEBHOOK_TIMEOUT").path("value").asText());
    }

    @Test
    void shouldRefuseAWebhookUrlLeadingBackToThisServiceAsAtStartUp() throws Exception {
        start();

        HttpResponse<String> refused = put("{\"webhook_url\":\"http://127.0.0.1:" + app.port() + "/chat/messages\"}");

        JsonNode error = assertError(refused, "invalid_config", "webhook_url");
        assertTrue(error.path("message").asText().startsWith("WEBHOOK_URL leads back to this service"),
                error.toString());
    }

    @Test
    void shouldKeepSavedValuesAcrossARestartUntilPutBackToDotEnvWithNull() throws Exception {
        start();
        assertEquals(200, put("{\"webhook_timeout\":12,\"webhook_ordering\":\"strict\"}").statusCode());

        app.close();
        start();

        JsonNode config = json(app.get("/chat/config"));
        assertSetting(config, "WEBHOOK_TIMEOUT", "12", "saved");
        assertSetting(config, "WEBHOOK_ORDERING", "strict", "saved");

        HttpResponse<String> back = put("{\"webhook_timeout\":null}");
        assertEquals(200, back.statusCode(), back.body());
        assertSetting(json(back), "WEBHOOK_TIMEOUT", "7", "environment");
        app.close();
        start();
        config = json(app.get("/chat/config"));
        assertSetting(config, "WEBHOOK_TIMEOUT", "7", "environment");
        assertSetting(config, "WEBHOOK_ORDERING", "strict", "saved");
    }

    @Test
    void shouldSendTheNextMessageToANewUrlAtOnce() throws Exception {
        start();
        app.sendText(PHONE, "to the first");
        assertNotNull(webhook.takeRequest(5, TimeUnit.SECONDS));

        put("{\"webhook_url\":\"" + other.url("/other") + "\"}");
        String id = app.sendText(PHONE, "to the second");

        RecordedRequest moved = other.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(moved, "the new URL got the next message");
        assertEquals(id, moved.getHeaders().get("webhook-id"));
        app.awaitStatus(id, "delivered");
        assertNull(webhook.takeRequest(200, TimeUnit.MILLISECONDS), "nothing more went to the old URL");
    }

    @Test
    void shouldDeliverWhatTheOldUrlsCircuitHeldOnceTheUrlChanges() throws Exception {
        env.put("CIRCUIT_FAILURE_THRESHOLD", "1");
        env.put("CIRCUIT_OPEN_SECONDS", "3600");
        env.put("WEBHOOK_RETRY_BASE_SECONDS", "1");
        env.put("WEBHOOK_RETRY_MAX_SECONDS", "1");
        QueueDispatcher failing = new QueueDispatcher();
        failing.setFailFast(new MockResponse.Builder().code(503).build());
        webhook.setDispatcher(failing);
        start();
        String first = app.sendText(PHONE, "first");
        app.await("/chat/webhook-status", status -> "open".equals(status.at("/circuit/state").asText()));
        String second = app.sendText("+5511988887777", "second");
        app.awaitStatus(second, "held");

        HttpResponse<String> changed = put("{\"webhook_url\":\"" + other.url("/working") + "\"}");

        assertEquals(200, changed.statusCode(), changed.body());
        app.awaitStatus(second, "delivered");
        app.awaitStatus(first, "delivered");
        assertEquals("closed", json(app.get("/chat/webhook-status")).at("/circuit/state").asText(),
                "a new endpoint starts with a closed circuit");
    }

    @Test
    void shouldTryAUrlBeforeSavingItWithoutSavingOrTouchingTheCircuit() throws Exception {
        env.put("WEBHOOK_SECRET", SECRET_A);
        start();
        String before = app.get("/chat/config").body();

        HttpResponse<String> tried = app.postJson("/chat/config/test",
                "{\"webhook_url\":\"" + other.url("/candidate") + "\"}");

        assertEquals(200, tried.statusCode(), tried.body());
        assertEquals("delivered", json(tried).path("status").asText());
        assertEquals(200, json(tried).path("status_code").asInt());
        RecordedRequest request = other.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(request);
        byte[] body = request.getBody().toByteArray();
        assertEquals("webhook.test", Json.MAPPER.readTree(body).path("type").asText());
        assertEquals(new Signer(SECRET_A).sign(request.getHeaders().get("webhook-id"),
                Long.parseLong(request.getHeaders().get("webhook-timestamp")), body),
                request.getHeaders().get("webhook-signature"), "signed as deliveries are");
        assertEquals(before, app.get("/chat/config").body(), "nothing saved");

        QueueDispatcher failing = new QueueDispatcher();
        failing.setFailFast(new MockResponse.Builder().code(503).build());
        other.setDispatcher(failing);
        JsonNode failed = json(app.postJson("/chat/config/test", "{\"webhook_url\":\"" + other.url("/c") + "\"}"));
        assertEquals("failed", failed.path("status").asText());
        assertEquals(503, failed.path("status_code").asInt());
        assertEquals(0, json(app.get("/chat/webhook-status")).at("/circuit/consecutive_failures").asInt(),
                "the circuit is the configured endpoint's");
        assertError(app.postJson("/chat/config/test", "{\"webhook_url\":\"mailto:ops@example.com\"}"),
                "invalid_config", "webhook_url");
        assertError(app.postJson("/chat/config/test", "{\"webhook_url\":\"\"}"), "invalid_config", "webhook_url");
        assertNull(webhook.takeRequest(200, TimeUnit.MILLISECONDS), "the configured webhook got nothing");
    }

    @Test
    void shouldAnnounceAChangeLiveAndLogWhoMadeItButNeverTheSecret() throws Exception {
        env.put("WEBHOOK_SECRET", SECRET_A);
        try (LogCapture log = LogCapture.start()) {
            start();
            try (EventStreamTest.Listener listener = new EventStreamTest.Listener(app.uri("/chat/events"))) {
                HttpResponse<String> changed = put("{\"webhook_secret\":\"" + SECRET_B + "\",\"webhook_timeout\":9}");

                JsonNode event = listener.next("config", data -> data.path("changed").size() == 2);
                assertEquals(List.of("WEBHOOK_SECRET", "WEBHOOK_TIMEOUT"), names(event.path("changed")));
                assertSetting(event, "WEBHOOK_SECRET", "********", "saved");
                assertTrue(event.path("by").asText().startsWith("127.0.0.1"), event.toString());
                List<String> outputs = List.of(changed.body(), event.toString(), app.get("/chat/config").body(),
                        app.get("/chat/webhook-status").body(), log.text());
                for (String output : outputs) {
                    for (String secret : List.of(SECRET_A, SECRET_B, SECRET_A.substring(6), SECRET_B.substring(6))) {
                        assertFalse(output.contains(secret), "a secret shows in: " + output);
                    }
                }
            }
            JsonNode line = log.events("config.changed").getFirst();
            assertTrue(line.path("by").asText().startsWith("127.0.0.1"), line.toString());
            assertTrue(line.path("message").asText().contains("WEBHOOK_TIMEOUT=9"), line.toString());
            assertTrue(line.path("message").asText().contains("WEBHOOK_SECRET=********"), line.toString());
        }
    }

    @Test
    void shouldSignWithBothSecretsForADayAfterARotationThenWithTheNewOneAlone() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-12-01T09:00:00Z"));
        env.put("WEBHOOK_SECRET", SECRET_A);
        app = RunningApp.start(dir.resolve("data"), env, clock);
        assertEquals(200, put("{\"webhook_secret\":\"" + SECRET_B + "\"}").statusCode());

        assertEquals(List.of(SECRET_B, SECRET_A), signersOf(deliver("during the rotation")));
        app.close();
        clock.advance(Duration.ofHours(23));
        app = RunningApp.start(dir.resolve("data"), env, clock);
        assertEquals(List.of(SECRET_B, SECRET_A), signersOf(deliver("after a restart")),
                "the previous secret is saved too");

        clock.advance(Duration.ofHours(1));

        assertEquals(List.of(SECRET_B), signersOf(deliver("a day later")));
    }

    // ---- helpers

    private HttpResponse<String> put(String json) {
        return app.send(app.request("/chat/config").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    private RecordedRequest deliver(String text) throws InterruptedException {
        String id = app.sendText(PHONE, text);
        RecordedRequest request = webhook.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(request, "no webhook request for " + text);
        assertEquals(id, request.getHeaders().get("webhook-id"));
        // Settled before the test moves the clock, or the attempt's lease would run out under it.
        app.awaitStatus(id, "delivered");
        return request;
    }

    /** Which of the two secrets signed the request, in the order its signatures are listed; each must verify. */
    private static List<String> signersOf(RecordedRequest request) {
        String id = request.getHeaders().get("webhook-id");
        long timestamp = Long.parseLong(request.getHeaders().get("webhook-timestamp"));
        byte[] body = request.getBody().toByteArray();
        return List.of(request.getHeaders().get("webhook-signature").split(" ")).stream().map(signature -> {
            for (String secret : List.of(SECRET_A, SECRET_B)) {
                if (new Signer(secret).sign(id, timestamp, body).equals(signature)) {
                    return secret;
                }
            }
            throw new AssertionError("a signature no secret made: " + signature);
        }).toList();
    }

    /** What start-up says of {@code key=value} in a {@code .env}. */
    private String dotEnvProblem(String key, String value) throws IOException {
        Path file = Files.writeString(dir.resolve("problem.env"), key + "=" + value + "\n");
        ConfigLoader.Result result = ConfigLoader.load(file, Map.of());
        List<String> problems = assertInstanceOf(ConfigLoader.Invalid.class, result).problems();
        assertEquals(1, problems.size(), problems.toString());
        return problems.getFirst();
    }

    private static JsonNode assertError(HttpResponse<String> response, String code, String field) {
        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = json(response).path("error");
        assertEquals(code, error.path("code").asText(), response.body());
        if (field == null) {
            assertTrue(error.path("field").isNull(), response.body());
        } else {
            assertEquals(field, error.path("field").asText(), response.body());
        }
        return error;
    }

    private static JsonNode setting(JsonNode config, String key) {
        for (JsonNode setting : config.path("settings")) {
            if (key.equals(setting.path("key").asText())) {
                return setting;
            }
        }
        throw new AssertionError(key + " is not listed: " + config);
    }

    private static void assertSetting(JsonNode config, String key, String value, String source) {
        JsonNode setting = setting(config, key);
        assertEquals(value, setting.path("value").asText(), setting.toString());
        assertEquals(source, setting.path("source").asText(), setting.toString());
    }

    private static List<String> names(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static String secret(char fill) {
        return "whsec_" + Base64.getEncoder().encodeToString(String.valueOf(fill).repeat(32).getBytes(
                StandardCharsets.US_ASCII));
    }
}
