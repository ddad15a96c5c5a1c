package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Forms;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** The chat routes against the real service, with MockWebServer as the webhook. */
class ChatApiTest {
    private static final String PHONE = "+5511999999999";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private QueueDispatcher responses;
    private RunningApp app;

    @BeforeEach
    void start() throws Exception {
        responses = Webhooks.answerOkUnlessScripted(webhook);
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_RETRY_BASE_SECONDS", "1", "WEBHOOK_RETRY_MAX_SECONDS", "1", "WEBHOOK_MAX_RETRIES", "1"));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void shouldAcceptATextMessageAtOnceAndDeliverItInTheBackground() throws Exception {
        HttpResponse<String> response = app.postJson("/chat/messages",
                "{\"phone\":\"(11) 99999-9999\",\"text\":\"Olá 👋\"}");

        assertEquals(202, response.statusCode());
        JsonNode accepted = json(response);
        assertEquals(PHONE, accepted.path("phone").asText());
        assertEquals("(11) 99999-9999", accepted.path("phone_display").asText());
        assertEquals("queued", accepted.path("status").asText());
        assertEquals(2, accepted.path("max_attempts").asInt());
        assertTrue(accepted.path("id").asText().startsWith("msg_"));

        JsonNode delivered = app.awaitStatus(accepted.path("id").asText(), "delivered");
        assertEquals(1, delivered.path("attempts").asInt());
        JsonNode attempt = delivered.path("history").get(0);
        assertEquals(200, attempt.path("status_code").asInt());
        assertEquals("{\"ok\":true}", attempt.path("response_snippet").asText());
        RecordedRequest request = webhook.takeRequest(5, TimeUnit.SECONDS);
        assertEquals(accepted.path("id").asText(), request.getHeaders().get("webhook-id"));
        JsonNode payload = new ObjectMapper().readTree(request.getBody().utf8());
        assertEquals("Olá 👋", payload.path("data").path("text").asText());
    }

    @Test
    void shouldAnswerWithTheFirstAttemptsOutcomeWhenAskedToWait() {
        responses.enqueue(new MockResponse.Builder().code(503).body("busy").build());

        JsonNode answer = json(app.postJson("/chat/messages?wait=true", "{\"phone\":\"" + PHONE + "\",\"text\":\"x\"}"));

        assertEquals("retrying", answer.path("first_attempt").path("status").asText());
        assertEquals(503, answer.path("first_attempt").path("status_code").asInt());
        assertEquals("HTTP 503: busy", answer.path("first_attempt").path("error").asText());
        assertEquals("retrying", answer.path("status").asText());

        JsonNode second = json(app.postJson("/chat/messages?wait=true", "{\"phone\":\"" + PHONE + "\",\"text\":\"y\"}"));
        assertEquals("delivered", second.path("first_attempt").path("status").asText());
        assertEquals(200, second.path("first_attempt").path("status_code").asInt());
    }

    @Test
    void shouldUploadDownloadAndDeliverAnAttachmentInline() throws Exception {
        HttpResponse<String> uploaded = app.upload(Forms.PDF, "application/pdf", "Relat%C3%B3rio%20anual.pdf");
        assertEquals(201, uploaded.statusCode(), uploaded.body());
        JsonNode attachment = json(uploaded);
        assertEquals("pdf", attachment.path("kind").asText());
        assertEquals("Relatório anual.pdf", attachment.path("filename").asText());
        assertEquals(Forms.PDF.length, attachment.path("size").asInt());
        assertEquals(Forms.sha256(Forms.PDF), attachment.path("sha256").asText());

        HttpResponse<byte[]> download = app.getBytes(attachment.path("url").asText());
        assertEquals(200, download.statusCode());
        assertArrayEquals(Forms.PDF, download.body());
        assertEquals("nosniff", download.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("inline; filename=\"Relat_rio anual.pdf\"; filename*=UTF-8''Relat%C3%B3rio%20anual.pdf",
                download.headers().firstValue("Content-Disposition").orElseThrow());

        String id = json(app.postJson("/chat/messages", "{\"phone\":\"" + PHONE + "\",\"attachment_id\":\""
                + attachment.path("id").asText() + "\"}")).path("id").asText();
        app.awaitStatus(id, "delivered");
        JsonNode sent = new ObjectMapper().readTree(webhook.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        JsonNode inline = sent.path("data").path("attachment");
        assertArrayEquals(Forms.PDF, Base64.getDecoder().decode(inline.path("data_base64").asText()));
        assertEquals("pdf", inline.path("kind").asText());
    }

    @Test
    void shouldSendAFileAndItsMessageInOneMultipartCallAsCurlDoes() throws Exception {
        String boundary = "------------------------d74496d66958873e";
        byte[] body = Forms.multipart(boundary, List.of(
                new Forms.Part("phone", null, null, "11 99999-9999".getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("text", null, null, "see the report".getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("file", "report.pdf", "application/pdf", Forms.PDF)));

        HttpResponse<String> response = app.send(app.request("/chat/messages")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());

        assertEquals(202, response.statusCode(), response.body());
        JsonNode message = json(response);
        assertEquals("see the report", message.path("text").asText());
        assertEquals("report.pdf", message.path("attachment").path("filename").asText());
        app.awaitStatus(message.path("id").asText(), "delivered");
        JsonNode sent = new ObjectMapper().readTree(webhook.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertArrayEquals(Forms.PDF, Base64.getDecoder().decode(
                sent.path("data").path("attachment").path("data_base64").asText()));
    }

    @Test
    void shouldPageThroughAThreadOldestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(app.sendText(PHONE, "message " + i));
        }

        JsonNode newest = json(app.get("/chat/messages?phone=%2B5511999999999&limit=2"));
        assertEquals(List.of(ids.get(3), ids.get(4)), idsOf(newest.path("messages")));
        assertTrue(newest.path("has_more").asBoolean());
        assertEquals("(11) 99999-9999", newest.path("phone_display").asText());

        JsonNode older = json(app.get("/chat/messages?phone=11999999999&limit=2&before=" + ids.get(3)));
        assertEquals(List.of(ids.get(1), ids.get(2)), idsOf(older.path("messages")));

        JsonNode oldest = json(app.get("/chat/messages?phone=11999999999&limit=2&before=" + ids.get(1)));
        assertEquals(List.of(ids.get(0)), idsOf(oldest.path("messages")));
        assertFalse(oldest.path("has_more").asBoolean());
    }

    @Test
    void shouldListConversationsNewestFirstWithTheirDeliverySummary() {
        String first = app.sendText("+14155552671", "hi US");
        app.awaitStatus(first, "delivered");
        String second = app.sendText(PHONE, "oi BR");
        app.awaitStatus(second, "delivered");

        JsonNode conversations = json(app.get("/chat/conversations")).path("conversations");

        assertEquals(2, conversations.size());
        assertEquals(PHONE, conversations.get(0).path("phone").asText());
        assertEquals(second, conversations.get(0).path("last_message").path("id").asText());
        assertEquals(1, conversations.get(0).path("summary").path("delivered").asInt());
        assertEquals(1, conversations.get(0).path("total").asInt());
        assertEquals("+1 415-555-2671", conversations.get(1).path("phone_display").asText());
    }

    @Test
    void shouldResendAFailedMessageAndRefuseToResendADeliveredOneUnlessForced() throws Exception {
        responses.enqueue(new MockResponse.Builder().code(400).body("bad payload").build());
        String id = app.sendText(PHONE, "will fail");
        JsonNode failed = app.awaitStatus(id, "failed");
        assertEquals("HTTP 400: bad payload", failed.path("last_error").asText());

        HttpResponse<String> resent = app.post("/chat/messages/" + id + "/redeliver");
        assertEquals(202, resent.statusCode(), resent.body());
        JsonNode delivered = app.awaitStatus(id, "delivered");
        assertEquals(1, delivered.path("attempts").asInt());
        assertEquals(2, delivered.path("history").size());

        HttpResponse<String> again = app.post("/chat/messages/" + id + "/redeliver");
        assertEquals(409, again.statusCode());
        assertEquals("already_delivered", json(again).path("error").path("code").asText());
        assertEquals(202, app.post("/chat/messages/" + id + "/redeliver?force=true").statusCode());
        app.awaitMessage(id, view -> view.path("history").size() == 3 && "delivered".equals(view.path("status").asText()));
    }

    @Test
    void shouldResendEveryFailedMessageAndSayHowMany() {
        responses.enqueue(new MockResponse.Builder().code(422).build());
        responses.enqueue(new MockResponse.Builder().code(422).build());
        String a = app.sendText(PHONE, "a");
        app.awaitStatus(a, "failed");
        String b = app.sendText(PHONE, "b");
        app.awaitStatus(b, "failed");

        JsonNode answer = json(app.post("/chat/redeliver-failed"));

        assertEquals(2, answer.path("requeued").asInt());
        app.awaitStatus(a, "delivered");
        app.awaitStatus(b, "delivered");
    }

    @Test
    void shouldCheckAPhoneNumberForTheNewChatField() {
        JsonNode valid = json(app.get("/chat/phone-check?phone=%2B1%20415%20555%202671"));
        assertEquals("+14155552671", valid.path("phone").asText());
        assertEquals("US", valid.path("region").asText());

        HttpResponse<String> invalid = app.get("/chat/phone-check?phone=12345");
        assertEquals(400, invalid.statusCode());
        assertEquals("invalid_phone", json(invalid).path("error").path("code").asText());
        assertEquals("phone", json(invalid).path("error").path("field").asText());
    }

    @Test
    void shouldAnswerAPageCheckingAsTheOperatorTypesWithoutAnErrorStatus() {
        HttpResponse<String> invalid = app.get("/chat/phone-check?phone=12345&lenient=true");
        JsonNode valid = json(app.get("/chat/phone-check?phone=11%2099999-9999&lenient=true"));

        assertEquals(200, invalid.statusCode());
        assertEquals(false, json(invalid).path("valid").asBoolean(true));
        assertEquals("invalid_phone", json(invalid).path("error").path("code").asText());
        assertEquals("phone", json(invalid).path("error").path("field").asText());
        assertEquals(true, valid.path("valid").asBoolean());
        assertEquals("+5511999999999", valid.path("phone").asText());
        assertEquals("(11) 99999-9999", valid.path("display").asText());
        assertEquals("phone_required", json(app.get("/chat/phone-check?lenient=true")).path("error").path("code")
                .asText());
        assertEquals(400, app.get("/chat/phone-check?phone=12345&lenient=maybe").statusCode());
    }

    @Test
    void shouldShowOneMessageWithItsAttemptHistory() {
        responses.enqueue(new MockResponse.Builder().code(500).body("boom").build());
        String id = app.sendText(PHONE, "retry me");

        JsonNode view = app.awaitMessage(id, v -> "delivered".equals(v.path("status").asText()));

        JsonNode history = view.path("history");
        assertEquals(2, history.size());
        assertEquals(500, history.get(0).path("status_code").asInt());
        assertEquals("HTTP 500", history.get(0).path("error").asText());
        assertEquals("boom", history.get(0).path("response_snippet").asText());
        assertNull(history.get(1).path("error").textValue());
        assertNotNull(history.get(1).path("started_at").textValue());
    }

    @Test
    void shouldStoreAHostileFileNameSanitisedAndServeItWithASafeHeader() {
        JsonNode attachment = json(app.upload(Forms.PDF, "application/pdf",
                "..%2F..%2Fetc%2Fpasswd%0D%0AX-Evil%3A%20%221%22.pdf"));

        String stored = attachment.path("filename").asText();
        assertEquals("passwd X-Evil_ 1.pdf", stored);
        HttpResponse<byte[]> download = app.getBytes(attachment.path("url").asText());
        String disposition = download.headers().firstValue("Content-Disposition").orElseThrow();
        assertEquals("inline; filename=\"passwd X-Evil_ 1.pdf\"; filename*=UTF-8''passwd%20X-Evil_%201.pdf",
                disposition);
        assertTrue(download.headers().firstValue("X-Evil").isEmpty());
    }

    @Test
    void shouldRefuseAStreamedUploadAsSoonAsItPassesTheLimit() throws Exception {
        app.close();
        app = RunningApp.start(dir.resolve("small"), Map.of("MAX_ATTACHMENT_MB", "1"));
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /chat/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pdf\r\n"
                    + "X-Filename: big.pdf\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Thread writer = Thread.ofVirtual().start(() -> writeChunks(out, 64 * 1024, 200));

            String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);

            assertEquals("HTTP/1.1 413", statusLine);
            writer.join(Duration.ofSeconds(20));
        }
        assertEquals(0, json(app.get("/chat/conversations")).path("conversations").size());
    }

    /** Writes {@code count} chunks of the body until the server stops taking them. */
    private static void writeChunks(OutputStream out, int size, int count) {
        byte[] chunk = Forms.pdf(size);
        try {
            for (int i = 0; i < count; i++) {
                out.write((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the server refused the rest, as it should
        }
    }

    private static List<String> idsOf(JsonNode messages) {
        List<String> ids = new ArrayList<>();
        messages.forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }
}
