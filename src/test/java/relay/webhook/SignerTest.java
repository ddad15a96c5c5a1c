package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SignerTest {
    // The test vector of the Standard Webhooks reference libraries (e.g. libraries/java WebhookTest).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330;
    private static final String PAYLOAD = "{\"test\": 2432232314}";
    private static final String EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void shouldMatchTheStandardWebhooksTestVector() {
        Signer signer = new Signer(SECRET);

        assertEquals(EXPECTED, signer.sign(MSG_ID, TIMESTAMP, PAYLOAD.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldSignAStreamedBodyAsItsBytes() throws IOException {
        Signer signer = new Signer(SECRET);
        WebhookBody body = WebhookBody.testEvent(Instant.parse("2025-01-01T00:00:00Z"), "evt_1");
        byte[] bytes;
        try (InputStream in = body.open()) {
            bytes = in.readAllBytes();
        }

        assertEquals(signer.sign(MSG_ID, TIMESTAMP, bytes), signer.sign(MSG_ID, TIMESTAMP, body));
    }

    @Test
    void shouldChangeTheSignatureWithIdTimestampOrBody() {
        Signer signer = new Signer(SECRET);
        byte[] payload = PAYLOAD.getBytes(StandardCharsets.UTF_8);

        assertFalse(EXPECTED.equals(signer.sign("msg_other", TIMESTAMP, payload)));
        assertFalse(EXPECTED.equals(signer.sign(MSG_ID, TIMESTAMP + 1, payload)));
        assertFalse(EXPECTED.equals(signer.sign(MSG_ID, TIMESTAMP, "{\"test\": 1}".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void shouldRejectMalformedSecretsWithoutQuotingThem() {
        IllegalArgumentException noPrefix = assertThrows(IllegalArgumentException.class,
                () -> new Signer("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        IllegalArgumentException notBase64 = assertThrows(IllegalArgumentException.class,
                () -> new Signer("whsec_not*base64!"));

        assertFalse(noPrefix.getMessage().contains("MfKQ"));
        assertFalse(notBase64.getMessage().contains("not*base64"));
    }
}
