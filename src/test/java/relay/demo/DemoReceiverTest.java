package relay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.testing.FakeClock;
import relay.webhook.Signer;
import relay.webhook.WebhookBody;

/** The built-in receiver reads webhooks as a careful real receiver would. */
class DemoReceiverTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(NOW);
    private final List<DemoReceiver.Received> told = new CopyOnWriteArrayList<>();
    private final Signer signer = new Signer(SECRET);

    private DemoReceiver receiver(Optional<Signer> verifier) {
        return new DemoReceiver(verifier, clock, Duration.ZERO, told::add);
    }

    private static Message text(String id) {
        return new Message(id, "+5511999999999", 1, "hello", null, NOW);
    }

    private Map<String, String> signedHeaders(String id, WebhookBody body) throws IOException {
        long timestamp = NOW.getEpochSecond();
        return Map.of("webhook-id", id, "webhook-timestamp", Long.toString(timestamp),
                "webhook-signature", signer.sign(id, timestamp, body));
    }

    private static byte[] bytes(WebhookBody body) throws IOException {
        try (InputStream in = body.open()) {
            return in.readAllBytes();
        }
    }

    @Test
    void shouldAcknowledgeAValidSignedMessageAndListIt() throws Exception {
        WebhookBody body = WebhookBody.forMessage(text("msg_1"), sha -> Files.newByteChannel(dir.resolve(sha)), null);
        DemoReceiver receiver = receiver(Optional.of(signer));

        DemoReceiver.Answer answer = receiver.receive(signedHeaders("msg_1", body), body.open());

        assertEquals(200, answer.status());
        DemoReceiver.Received received = receiver.received().getFirst();
        assertEquals("msg_1", received.webhookId());
        assertEquals("message", received.type());
        assertEquals("+5511999999999", received.phone());
        assertEquals("text", received.kind());
        assertEquals("valid", received.signature());
        assertFalse(received.duplicate());
        assertNull(received.sha256Ok());
        assertEquals(List.of(received), told);
    }

    @Test
    void shouldRefuseABodyWhoseSignatureDoesNotVerify() throws Exception {
        WebhookBody body = WebhookBody.forMessage(text("msg_1"), sha -> Files.newByteChannel(dir.resolve(sha)), null);
        byte[] tampered = new String(bytes(body), StandardCharsets.UTF_8).replace("hello", "HELLO")
                .getBytes(StandardCharsets.UTF_8);

        DemoReceiver.Answer answer = receiver(Optional.of(signer)).receive(signedHeaders("msg_1", body),
                new ByteArrayInputStream(tampered));

        assertEquals(401, answer.status());
        assertEquals("invalid", told.getFirst().signature());
    }

    @Test
    void shouldAcknowledgeARetriedWebhookIdAgainButMarkItDuplicate() throws Exception {
        WebhookBody body = WebhookBody.forMessage(text("msg_1"), sha -> Files.newByteChannel(dir.resolve(sha)), null);
        DemoReceiver receiver = receiver(Optional.empty());

        receiver.receive(Map.of("webhook-id", "msg_1"), body.open());
        DemoReceiver.Answer second = receiver.receive(Map.of("webhook-id", "msg_1"), body.open());

        assertEquals(200, second.status());
        assertTrue(second.body().contains("\"duplicate\":true"));
        assertTrue(receiver.received().getFirst().duplicate());
        assertEquals("unsigned", receiver.received().getFirst().signature());
    }

    @Test
    void shouldNotCallARetryAfterAFailedAnswerADuplicate() throws Exception {
        WebhookBody body = WebhookBody.forMessage(text("msg_1"), sha -> Files.newByteChannel(dir.resolve(sha)), null);
        DemoReceiver receiver = receiver(Optional.empty());

        receiver.setMode(DemoReceiver.Mode.FAILING);
        assertEquals(503, receiver.receive(Map.of("webhook-id", "msg_1"), body.open()).status());
        receiver.setMode(DemoReceiver.Mode.HEALTHY);
        receiver.receive(Map.of("webhook-id", "msg_1"), body.open());

        assertFalse(receiver.received().getFirst().duplicate());
    }

    @Test
    void shouldCheckAnInlineAttachmentAgainstItsSha256WhileStreaming() throws Exception {
        byte[] file = new byte[300_000];
        new java.util.Random(7).nextBytes(file);
        file[0] = (byte) 0xFF;
        file[1] = (byte) 0xD8;
        file[2] = (byte) 0xFF;
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
        Files.write(dir.resolve(sha), file);
        Attachment photo = new Attachment("att_1", MessageKind.IMAGE, "photo.jpg", "image/jpeg", file.length, sha, NOW);
        WebhookBody body = WebhookBody.forMessage(new Message("msg_2", "+5511999999999", 2, null, photo, NOW),
                s -> Files.newByteChannel(dir.resolve(s)), null);
        DemoReceiver receiver = receiver(Optional.of(signer));

        receiver.receive(signedHeaders("msg_2", body), body.open());

        DemoReceiver.Received received = receiver.received().getFirst();
        assertEquals("image", received.kind());
        assertEquals("photo.jpg", received.filename());
        assertEquals(file.length, received.size());
        assertEquals(Boolean.TRUE, received.sha256Ok());
        assertEquals("valid", received.signature());
    }

    @Test
    void shouldNoticeAnAttachmentThatDoesNotMatchItsSha256() throws Exception {
        String json = "{\"type\":\"message\",\"timestamp\":\"x\",\"data\":{\"id\":\"msg_3\",\"attachment\":{"
                + "\"kind\":\"pdf\",\"sha256\":\"00\",\"data_base64\":\"aGVsbG8=\"}}}";

        receiver(Optional.empty()).receive(Map.of("webhook-id", "msg_3"),
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));

        assertEquals(Boolean.FALSE, told.getFirst().sha256Ok());
    }

    @Test
    void shouldAnswerAsItsModeSays() throws Exception {
        DemoReceiver receiver = receiver(Optional.empty());
        byte[] body = bytes(WebhookBody.forMessage(text("msg_1"), sha -> Files.newByteChannel(dir.resolve(sha)), null));

        receiver.setMode(DemoReceiver.Mode.GONE);
        assertEquals(410, receiver.receive(Map.of(), new ByteArrayInputStream(body)).status());
        receiver.setMode(DemoReceiver.Mode.FAILING);
        assertEquals(503, receiver.receive(Map.of(), new ByteArrayInputStream(body)).status());
        receiver.setMode(DemoReceiver.Mode.SLOW);
        assertEquals(200, receiver.receive(Map.of(), new ByteArrayInputStream(body)).status());
        assertEquals(List.of(200, 503, 410), receiver.received().stream().map(DemoReceiver.Received::answered).toList());
    }

    @Test
    void shouldRefuseABodyThatIsNotWebhookJson() throws Exception {
        DemoReceiver.Answer answer = receiver(Optional.empty()).receive(Map.of(),
                new ByteArrayInputStream("not json".getBytes(StandardCharsets.UTF_8)));

        assertEquals(400, answer.status());
    }

    @Test
    void shouldKeepOnlyTheNewestHundred() throws Exception {
        DemoReceiver receiver = receiver(Optional.empty());
        for (int i = 0; i < DemoReceiver.KEPT + 5; i++) {
            String id = "msg_" + i;
            receiver.receive(Map.of("webhook-id", id),
                    WebhookBody.forMessage(text(id), s -> Files.newByteChannel(dir.resolve(s)), null).open());
        }

        List<DemoReceiver.Received> kept = receiver.received();
        assertEquals(DemoReceiver.KEPT, kept.size());
        assertEquals("msg_104", kept.getFirst().webhookId());
        assertEquals("msg_5", kept.getLast().webhookId());
    }
}
