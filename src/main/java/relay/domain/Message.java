package relay.domain;

import java.time.Instant;

/**
 * An accepted message as stored and as sent to the webhook.
 *
 * @param phone      E.164, e.g. {@code +5511999999999}
 * @param sequence   counts messages per phone from 1
 * @param text       may be null when an attachment is present
 * @param attachment null for a text-only message
 */
public record Message(String id, String phone, long sequence, String text, Attachment attachment, Instant createdAt) {

    public MessageKind kind() {
        return attachment == null ? MessageKind.TEXT : attachment.kind();
    }
}
