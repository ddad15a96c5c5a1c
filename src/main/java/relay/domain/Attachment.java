package relay.domain;

import java.time.Instant;

/**
 * An uploaded file: its bytes live under {@code DATA_DIR/attachments/} named by {@code sha256}; this is its metadata.
 *
 * @param kind     decided from the file's first bytes, never from the client's Content-Type alone
 * @param filename sanitised: no path parts, no control characters
 */
public record Attachment(String id, MessageKind kind, String filename, String mimeType, long size, String sha256,
                         Instant createdAt) {
}
