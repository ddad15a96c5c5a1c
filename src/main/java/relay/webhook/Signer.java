package relay.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs request bodies the Standard Webhooks way: {@code v1,} and the base64 HMAC-SHA256, keyed with the secret's
 * decoded bytes, of {@code <webhook-id>.<webhook-timestamp>.<body>}. Receivers verify with any Standard Webhooks
 * library.
 */
public final class Signer {
    private static final String PREFIX = "whsec_";
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    /** @param whsecSecret {@code whsec_} followed by the base64 of the key */
    public Signer(String whsecSecret) {
        if (whsecSecret == null || !whsecSecret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("the webhook secret must start with " + PREFIX);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(whsecSecret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            // Not chained: the decoder's message can quote the secret.
            throw new IllegalArgumentException("the webhook secret is not valid base64 after " + PREFIX);
        }
        if (bytes.length == 0) {
            throw new IllegalArgumentException("the webhook secret has no key after " + PREFIX);
        }
        this.key = new SecretKeySpec(bytes, ALGORITHM);
    }

    /** Signs the body as it streams from {@link WebhookBody#open()}, so an attachment is never held in memory. */
    public String sign(String msgId, long timestampSeconds, WebhookBody body) throws IOException {
        return signAll(List.of(this), msgId, timestampSeconds, body);
    }

    /**
     * The {@code webhook-signature} of a body signed with each of {@code signers}, space-separated in their order (as
     * Standard Webhooks allows during a secret's rotation); the body is read once, whatever their number.
     */
    public static String signAll(List<Signer> signers, String msgId, long timestampSeconds, WebhookBody body)
            throws IOException {
        List<Signing> signings = signers.stream().map(signer -> signer.start(msgId, timestampSeconds)).toList();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = body.open()) {
            for (int n; (n = in.read(buffer)) != -1; ) {
                for (Signing signing : signings) {
                    signing.update(buffer, 0, n);
                }
            }
        }
        return String.join(" ", signings.stream().map(Signing::signature).toList());
    }

    public String sign(String msgId, long timestampSeconds, byte[] body) {
        Signing signing = start(msgId, timestampSeconds);
        signing.update(body, 0, body.length);
        return signing.signature();
    }

    /** Starts a signature to be fed the body as it passes by, e.g. while a receiver reads a request. */
    public Signing start(String msgId, long timestampSeconds) {
        try {
            // A Mac is not thread-safe: one per signature.
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update((msgId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return new Signing(mac);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * Whether a {@code webhook-signature} header holds {@code expected}: the header may list several space-separated
     * signatures (during secret rotation), any of which may match. Compared in constant time.
     */
    public static boolean headerContains(String header, String expected) {
        if (header == null) {
            return false;
        }
        boolean found = false;
        for (String candidate : header.trim().split("\\s+")) {
            found |= MessageDigest.isEqual(candidate.getBytes(StandardCharsets.US_ASCII),
                    expected.getBytes(StandardCharsets.US_ASCII));
        }
        return found;
    }

    /** One signature in progress. */
    public static final class Signing {
        private final Mac mac;

        private Signing(Mac mac) {
            this.mac = mac;
        }

        public void update(byte[] bytes, int offset, int length) {
            mac.update(bytes, offset, length);
        }

        /** {@code v1,} and the base64 HMAC; ends this signing. */
        public String signature() {
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
        }
    }
}
