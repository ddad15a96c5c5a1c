package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.MessageKind;

class WebhookBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant CREATED = Instant.parse("2025-03-04T05:06:07.123Z");

    @TempDir
    Path dir;

    @Test
    void shouldDescribeATextMessageWithoutAttachment() throws IOException {
        Message m = new Message("msg_01", "+5511999999999", 7, "Olá, \"mundo\" 👋\n", null, CREATED);

        JsonNode json = json(WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null));

        assertEquals("message", json.get("type").asText());
        assertEquals("2025-03-04T05:06:07.123Z", json.get("timestamp").asText());
        JsonNode data = json.get("data");
        assertEquals("msg_01", data.get("id").asText());
        assertEquals("+5511999999999", data.get("phone").asText());
        assertEquals(7, data.get("sequence").asLong());
        assertEquals("Olá, \"mundo\" 👋\n", data.get("text").asText());
        assertEquals("2025-03-04T05:06:07.123Z", data.get("created_at").asText());
        assertFalse(data.has("attachment"));
    }

    @Test
    void shouldInlineTheAttachmentAsBase64AndOmitAbsentText() throws IOException {
        byte[] file = randomBytes(100_001);
        Attachment a = attachment(file, "abc123");
        Files.write(dir.resolve("abc123"), file);
        Message m = new Message("msg_02", "+5511999999999", 8, null, a, CREATED);

        WebhookBody body = WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null);
        JsonNode data = json(body).get("data");

        assertFalse(data.has("text"), "text is omitted, not null, when absent");
        JsonNode attachment = data.get("attachment");
        assertEquals("image", attachment.get("kind").asText());
        assertEquals("photo \"1\".jpg", attachment.get("filename").asText());
        assertEquals("image/jpeg", attachment.get("mime_type").asText());
        assertEquals(file.length, attachment.get("size").asLong());
        assertEquals("abc123", attachment.get("sha256").asText());
        assertArrayEquals(file, Base64.getDecoder().decode(attachment.get("data_base64").asText()));
        assertFalse(attachment.has("url"));
    }

    @Test
    void shouldStreamTheSameBytesOnEveryOpenWithTheAnnouncedLength() throws IOException {
        for (int size : new int[] {0, 1, 2, 3, 49_151, 49_152, 49_153, 200_000}) {
            byte[] file = randomBytes(size);
            Files.write(dir.resolve("f" + size), file);
            Message m = new Message("msg_03", "+5511999999999", 1, "caption", attachment(file, "f" + size), CREATED);
            WebhookBody body = WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null);

            byte[] first = readAll(body);
            byte[] second = readAll(body);

            assertArrayEquals(first, second);
            assertEquals(body.length(), first.length, "size " + size);
            assertArrayEquals(file, Base64.getDecoder().decode(
                    JSON.readTree(first).get("data").get("attachment").get("data_base64").asText()));
        }
    }

    @Test
    void shouldSendTheSignedUrlInsteadOfTheBytesInUrlMode() throws IOException {
        byte[] file = randomBytes(10);
        Message m = new Message("msg_04", "+5511999999999", 2, null, attachment(file, "abc"), CREATED);

        WebhookBody body = WebhookBody.forMessage(m, sha -> {
            throw new AssertionError("the file is not read in url mode");
        }, a -> "https://relay.example/files/" + a.sha256() + "?sig=x");
        JsonNode attachment = json(body).get("data").get("attachment");

        assertEquals("https://relay.example/files/abc?sig=x", attachment.get("url").asText());
        assertFalse(attachment.has("data_base64"));
        assertEquals(readAll(body).length, body.length());
    }

    @Test
    void shouldDescribeATestEvent() throws IOException {
        WebhookBody body = WebhookBody.testEvent(CREATED, "evt_42");

        JsonNode json = json(body);

        assertEquals("webhook.test", json.get("type").asText());
        assertEquals("2025-03-04T05:06:07.123Z", json.get("timestamp").asText());
        assertEquals("evt_42", json.get("data").get("id").asText());
        assertEquals("Test event from Chat Webhook Relay", json.get("data").get("message").asText());
        assertEquals(readAll(body).length, body.length());
    }

    @Test
    void shouldRefuseToOpenWhenTheFileNoLongerHasItsRecordedSize() throws IOException {
        byte[] file = randomBytes(30);
        Files.write(dir.resolve("abc"), randomBytes(29));
        Message m = new Message("msg_05", "+5511999999999", 3, null, attachment(file, "abc"), CREATED);
        WebhookBody body = WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null);

        IOException e = assertThrows(WebhookBody.UnreadableAttachment.class, body::open);

        assertEquals("attachment unavailable: storage error", e.getMessage(), "no path in what is shown");
        assertTrue(e.getCause().getMessage().contains("29"));
    }

    private static Attachment attachment(byte[] file, String sha256) {
        return new Attachment("att_1", MessageKind.IMAGE, "photo \"1\".jpg", "image/jpeg", file.length, sha256,
                CREATED);
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    private static byte[] readAll(WebhookBody body) throws IOException {
        try (InputStream in = body.open()) {
            return in.readAllBytes();
        }
    }

    private static JsonNode json(WebhookBody body) throws IOException {
        return JSON.readTree(readAll(body));
    }
}
