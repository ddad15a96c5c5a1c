package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import relay.testing.RunningApp;

/**
 * The real app ({@link RunningApp}) delivering to a MockWebServer whose answers each test scripts, with small
 * delays so retries and the circuit are quick, and the demo receiver on as in a default install.
 */
final class RunningRelay implements AutoCloseable {
    /** Webhook bodies carry whole files as base64: far longer strings than Jackson's default limit. */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build());

    final MockWebServer webhook;
    private final Path dataDir;
    private final Map<String, String> settings;
    private RunningApp app;

    private RunningRelay(MockWebServer webhook, Path dataDir, Map<String, String> settings, RunningApp app) {
        this.webhook = webhook;
        this.dataDir = dataDir;
        this.settings = settings;
        this.app = app;
    }

    static RunningRelay start(Path dataDir, Map<String, String> overrides) throws IOException {
        MockWebServer webhook = new MockWebServer();
        webhook.start();
        Map<String, String> settings = new HashMap<>(Map.of(
                "WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_TIMEOUT", "5",
                "WEBHOOK_MAX_RETRIES", "1",
                "WEBHOOK_RETRY_BASE_SECONDS", "1",
                "WEBHOOK_RETRY_MAX_SECONDS", "1",
                "CIRCUIT_FAILURE_THRESHOLD", "5",
                "CIRCUIT_OPEN_SECONDS", "30",
                "DEMO_RECEIVER", "true"));
        settings.putAll(overrides);
        try {
            return new RunningRelay(webhook, dataDir, settings, RunningApp.start(dataDir, settings));
        } catch (IOException | RuntimeException e) {
            webhook.close();
            throw e;
        }
    }

    RunningApp app() {
        return app;
    }

    /** Stops the app (as a restart would), keeping its port and data for {@link #startAgain()}. */
    void stopApp() {
        settings.put("PORT", String.valueOf(app.port()));
        app.close();
    }

    void startAgain() throws IOException {
        app = RunningApp.start(dataDir, settings);
    }

    String url(String path) {
        return app.uri(path).toString();
    }

    /** Sends a text message through the API, as another client would; returns its id. */
    String sendText(String phone, String text) {
        return app.sendText(phone, text);
    }

    /** Names a phone through the API, as another tab or a script would. */
    void nameContact(String phone, String name) {
        HttpResponse<String> response = app.send(app.request("/chat/contacts/" + phone.replace("+", "%2B"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}", StandardCharsets.UTF_8))
                .build());
        assertEquals(200, response.statusCode(), response.body());
    }

    void answer(int code) {
        webhook.enqueue(new MockResponse.Builder().code(code).build());
    }

    /** A 503 asking to wait: the retry then comes after exactly that long (up to WEBHOOK_RETRY_MAX_SECONDS). */
    void answerUnavailable(int retryAfterSeconds) {
        webhook.enqueue(new MockResponse.Builder().code(503)
                .addHeader("Retry-After", String.valueOf(retryAfterSeconds)).build());
    }

    RecordedRequest takeWebhookRequest() throws InterruptedException {
        RecordedRequest request = webhook.takeRequest(Browser.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(request, "the webhook received no request");
        return request;
    }

    /** Asserts nothing more reached the webhook; waits a moment since a stray request would come asynchronously. */
    void assertNoMoreWebhookRequests() throws InterruptedException {
        assertNull(webhook.takeRequest(300, TimeUnit.MILLISECONDS), "the webhook received an unexpected request");
    }

    static JsonNode data(RecordedRequest request) throws IOException {
        return JSON.readTree(request.getBody().toByteArray()).path("data");
    }

    /** The webhook first: an attempt still waiting on it then ends at once instead of holding up the app's stop. */
    @Override
    public void close() throws IOException {
        try {
            webhook.close();
        } finally {
            app.close();
        }
    }
}
