package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.testing.RunningApp.json;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.testing.RunningApp;
import relay.webhook.Signer;

/**
 * The demo receiver's intake stays open to webhook senders, who have no app token, but not to web pages on other
 * sites, and — with WEBHOOK_SECRET set — not to anyone who cannot sign.
 */
class DemoReceiverAccessTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_01m8evj50w2sqnbt17vswwbx52";
    /** The demo receiver checks the signature, not the timestamp's age. */
    private static final long TIMESTAMP = 1_780_000_000L;
    private static final String BODY = "{\"type\":\"message\",\"data\":{\"phone\":\"+5511999999999\"}}";

    @TempDir
    Path dir;

    private RunningApp app;

    @BeforeEach
    void start() throws IOException {
        app = RunningApp.start(dir, Map.of("APP_TOKEN", TOKEN, "DEMO_RECEIVER", "true", "WEBHOOK_SECRET", SECRET));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private HttpRequest.Builder post() {
        return app.request("/demo/webhook").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY));
    }

    private HttpRequest.Builder signed(String signature) {
        return post().header("webhook-id", ID).header("webhook-timestamp", String.valueOf(TIMESTAMP))
                .header("webhook-signature", signature);
    }

    private static String signature() {
        return new Signer(SECRET).sign(ID, TIMESTAMP, BODY.getBytes(StandardCharsets.UTF_8));
    }

    private int received() {
        return json(app.send(app.request("/demo/webhook").header("Authorization", "Bearer " + TOKEN).build()))
                .path("received").size();
    }

    @Test
    void shouldTakeAProperlySignedWebhookWithoutTheAppToken() {
        HttpResponse<String> response = app.send(signed(signature()).build());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(1, received());
    }

    @Test
    void shouldRefuseAnUnsignedPostBeforeReadingIt() {
        HttpResponse<String> response = app.send(post().build());

        assertEquals(401, response.statusCode());
        assertEquals("unsigned_webhook", json(response).path("error").path("code").asText());
        assertEquals(0, received());
    }

    @Test
    void shouldRefuseAWronglySignedPostWithAJsonError() {
        HttpResponse<String> response = app.send(signed("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").build());

        assertEquals(401, response.statusCode());
        assertEquals("invalid_signature", json(response).path("error").path("code").asText());
    }

    @ParameterizedTest
    @CsvSource({"Origin, https://evil.example", "Origin, null", "Sec-Fetch-Site, cross-site"})
    void shouldRefuseCrossSitePostsEvenWhenSigned(String header, String value) {
        HttpResponse<String> response = app.send(signed(signature()).header(header, value).build());

        assertEquals(403, response.statusCode());
        assertEquals("cross_origin", json(response).path("error").path("code").asText());
        assertEquals(0, received());
    }
}
