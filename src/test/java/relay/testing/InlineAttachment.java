package relay.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A webhook body's inline attachment as a receiver checks it: the {@code sha256} the body announces, and the SHA-256
 * and size of the bytes its {@code data_base64} decodes to. Read as the body streams in, the base64 decoded straight
 * into the digest: nothing of the attachment is held in memory, however large.
 *
 * @param announcedSha256 the attachment's {@code sha256} field, or null when the body has none
 * @param decodedSha256   the SHA-256 of the decoded {@code data_base64}, or null when the body has none
 */
public record InlineAttachment(String announcedSha256, String decodedSha256, long decodedBytes) {
    /** The body is drained after parsing, so the parser must not close it. */
    private static final JsonFactory STREAMING = JsonFactory.builder()
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();

    /** Whether the bytes are the ones announced. */
    public boolean intact() {
        return announcedSha256 != null && announcedSha256.equals(decodedSha256);
    }

    /** Reads a webhook body to its end. */
    public static InlineAttachment read(InputStream body) throws IOException {
        String announced = null;
        String decoded = null;
        long bytes = 0;
        try (JsonParser parser = STREAMING.createParser(body)) {
            for (JsonToken t; (t = parser.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME && parser.currentName().equals("sha256")) {
                    announced = parser.nextTextValue();
                } else if (t == JsonToken.FIELD_NAME && parser.currentName().equals("data_base64")) {
                    parser.nextToken();
                    MessageDigest sha = sha256();
                    bytes = parser.readBinaryValue(new DigestOutputStream(OutputStream.nullOutputStream(), sha));
                    decoded = HexFormat.of().formatHex(sha.digest());
                }
            }
        }
        body.transferTo(OutputStream.nullOutputStream());
        return new InlineAttachment(announced, decoded, bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
