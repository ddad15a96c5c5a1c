package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import relay.App;
import relay.config.ConfigLoader;

/**
 * The real app on a free loopback port with a real data folder, delivering to a MockWebServer whose answers
 * each test scripts. Small delays keep retries and the circuit quick.
 */
final class RunningRelay implements AutoCloseable {
    /** Webhook bodies carry whole files as base64: far longer strings than Jackson's default limit. */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build());
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    final MockWebServer webhook;
    private final Map<String, String> values;
    private App app;

    private RunningRelay(MockWebServer webhook, Map<String, String> values, App app) {
        this.webhook = webhook;
        this.values = values;
        this.app = app;
    }

    static RunningRelay start(Path dataDir, Map<String, String> overrides) throws IOException {
        MockWebServer webhook = new MockWebServer();
        webhook.start();
        Map<String, String> values = new HashMap<>(Map.of(
                "HOST", "127.0.0.1",
                "PORT", "0",
                "DATA_DIR", dataDir.toString(),
                "WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_TIMEOUT", "5",
                "WEBHOOK_MAX_RETRIES", "1",
                "WEBHOOK_RETRY_BASE_SECONDS", "1",
                "WEBHOOK_RETRY_MAX_SECONDS", "1",
                "CIRCUIT_FAILURE_THRESHOLD", "5",
                "CIRCUIT_OPEN_SECONDS", "30"));
        values.putAll(overrides);
        try {
            return new RunningRelay(webhook, values, App.start(ConfigLoader.fromValues(values)));
        } catch (IOException | RuntimeException e) {
            webhook.close();
            throw e;
        }
    }

    /** Stops the app (as a restart would), keeping its port and data for {@link #startAgain()}. */
    void stopApp() {
        values.put("PORT", String.valueOf(app.port()));
        app.close();
    }

    void startAgain() throws IOException {
        app = App.start(ConfigLoader.fromValues(values));
    }

    String url(String path) {
        return "http://127.0.0.1:" + app.port() + path;
    }

    void answer(int code) {
        webhook.enqueue(new MockResponse.Builder().code(code).build());
    }

    /** A 503 asking to wait: the retry then comes after exactly WEBHOOK_RETRY_MAX_SECONDS (Retry-After is capped). */
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

    /** Sends a text message through the API, as another client would. */
    JsonNode sendText(String phone, String text) throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("phone", phone).put("text", text).toString();
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(url("/chat/messages")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    @Override
    public void close() throws IOException {
        // The webhook first: an attempt still waiting on it then ends at once instead of holding up the app's stop.
        try {
            webhook.close();
        } finally {
            app.close();
        }
    }
}
