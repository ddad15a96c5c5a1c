package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.LogCapture;
import relay.testing.RunningApp;
import relay.testing.SqliteOnly;
import relay.testing.Webhooks;

/**
 * {@code rm -r DATA_DIR/attachments} while the service runs: uploads create the folder again and answer as usual,
 * a download of a lost file is a JSON 503, and a message whose file is lost is the store's failure — recorded as
 * "attachment unavailable: storage error", never sent, never counted against the webhook's circuit — with no
 * absolute path anywhere.
 */
@SqliteOnly("removes DATA_DIR/attachments; on PostgreSQL the bytes live in the database")
class LostAttachmentsTest {
    private static final String PHONE = "+5511999999999";
    private static final String UNAVAILABLE = "attachment unavailable: storage error";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    @Test
    void shouldBlameTheStoreNotTheWebhookWhenTheAttachmentsFolderIsRemoved() throws IOException {
        Webhooks.answerOkUnlessScripted(webhook);
        Path dataDir = dir.resolve("data");
        try (LogCapture log = LogCapture.start(); RunningApp app = RunningApp.start(dataDir, Map.of(
                "WEBHOOK_URL", webhook.url("/hook").toString(), "WEBHOOK_MAX_RETRIES", "0",
                "CIRCUIT_FAILURE_THRESHOLD", "1"))) {
            String lost = uploadedId(app.upload(pdf("the lost report"), "application/pdf", "lost.pdf"));

            deleteTree(dataDir.resolve("attachments"));

            HttpResponse<String> download = app.get("/chat/attachments/" + lost);
            assertEquals(503, download.statusCode(), download.body());
            assertEquals("store_unavailable", json(download).path("error").path("code").asText());
            String id = send(app, lost);
            JsonNode failed = app.awaitStatus(id, "failed");
            assertEquals("gave up after 0 retries: " + UNAVAILABLE, failed.path("last_error").asText());
            assertEquals(UNAVAILABLE, failed.path("history").get(0).path("error").asText(), failed.toString());
            JsonNode status = json(app.get("/chat/webhook-status"));
            assertEquals("closed", status.path("circuit").path("state").asText(), status.toString());
            assertEquals(0, status.path("circuit").path("consecutive_failures").asInt());
            assertEquals(0, webhook.getRequestCount(), "nothing was sent for the lost file");

            String fresh = uploadedId(app.upload(pdf("a new report"), "application/pdf", "new.pdf"));
            app.awaitStatus(send(app, fresh), "delivered");
            assertEquals(1, webhook.getRequestCount());
            assertEquals(1, log.events("attachments.recreated").size(), log.text());
            for (String output : new String[] {failed.toString(), status.toString(), log.text()}) {
                assertFalse(output.contains(dataDir.toString() + "/attachments"), "a path leaked: " + output);
            }
            assertFalse(log.text().contains("\tat "), "no stack trace: " + log.text());
        }
    }

    private static String uploadedId(HttpResponse<String> upload) {
        assertEquals(201, upload.statusCode(), upload.body());
        return json(upload).path("id").asText();
    }

    private static String send(RunningApp app, String attachmentId) {
        HttpResponse<String> sent = app.postJson("/chat/messages",
                "{\"phone\":\"" + PHONE + "\",\"attachment_id\":\"" + attachmentId + "\"}");
        assertEquals(202, sent.statusCode(), sent.body());
        return json(sent).path("id").asText();
    }

    private static byte[] pdf(String text) {
        return ("%PDF-1.7\n" + text + "\n%%EOF\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
