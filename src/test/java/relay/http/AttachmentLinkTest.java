package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Forms;
import relay.testing.FakeClock;
import relay.testing.RawHttp;
import relay.testing.RunningApp;

/** WEBHOOK_ATTACHMENTS=url: the webhook gets a signed link that works without the app token, for 24 hours. */
class AttachmentLinkTest {
    private static final String TOKEN = "correct-horse-battery-staple";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-27T12:00:00Z"));
    private RunningApp app;
    private String link;

    @BeforeEach
    void sendAFileByLink() throws Exception {
        webhook.enqueue(new MockResponse.Builder().code(200).build());
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_ATTACHMENTS", "url", "APP_TOKEN", TOKEN), clock);
        HttpResponse<String> upload = app.send(app.request("/chat/attachments")
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/pdf")
                .header("X-Filename", "a.pdf").POST(HttpRequest.BodyPublishers.ofByteArray(Forms.PDF)).build());
        String attachmentId = json(upload).path("id").asText();
        app.send(app.request("/chat/messages").header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"phone\":\"+5511999999999\",\"attachment_id\":\"" + attachmentId + "\"}")).build());
        JsonNode sent = new ObjectMapper().readTree(webhook.takeRequest(10, TimeUnit.SECONDS).getBody().utf8());
        JsonNode attachment = sent.path("data").path("attachment");
        assertFalse(attachment.has("data_base64"), "url mode sends no bytes inline");
        link = attachment.path("url").asText();
        assertTrue(link.startsWith("http://127.0.0.1:" + app.port() + "/chat/attachments/" + attachmentId + "?token="),
                link);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private String pathOf(String url) {
        URI uri = URI.create(url);
        return uri.getRawPath() + "?" + uri.getRawQuery();
    }

    @Test
    void shouldServeTheFileByItsSignedLinkWithoutTheAppToken() {
        HttpResponse<byte[]> download = app.getBytes(pathOf(link));

        assertEquals(200, download.statusCode());
        assertArrayEquals(Forms.PDF, download.body());
    }

    @Test
    void shouldAnswerHeadForTheSignedLinkWithTheFilesLengthAndNoBody() {
        RawHttp.Response get = RawHttp.send(app.port(), "GET", pathOf(link));
        RawHttp.Response head = RawHttp.send(app.port(), "HEAD", pathOf(link));

        assertEquals(200, head.status(), head.body());
        assertEquals(String.valueOf(Forms.PDF.length), head.header("Content-Length").orElseThrow());
        assertEquals(get.header("Content-Type"), head.header("Content-Type"));
        assertEquals(get.header("Content-Disposition"), head.header("Content-Disposition"));
        assertEquals("", head.body());
    }

    @Test
    void shouldRefuseAForgedToken() {
        String forged = link.substring(0, link.length() - 2) + (link.endsWith("AA") ? "BB" : "AA");

        HttpResponse<String> response = app.get(pathOf(forged));

        assertEquals(403, response.statusCode());
        assertEquals("invalid_token", json(response).path("error").path("code").asText());
    }

    @Test
    void shouldRefuseAnExpiredLink() {
        clock.advance(Duration.ofHours(24).plusSeconds(1));

        HttpResponse<String> response = app.get(pathOf(link));

        assertEquals(403, response.statusCode());
        assertEquals("token_expired", json(response).path("error").path("code").asText());
    }

    @Test
    void shouldNotOpenOtherAttachmentsWithALinksToken() {
        String query = URI.create(link).getRawQuery();

        HttpResponse<String> response = app.get("/chat/attachments/att_00000000000000000000000000?" + query);

        assertEquals(403, response.statusCode());
    }
}
