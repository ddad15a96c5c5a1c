package relay.domain;

import java.time.Instant;
import java.util.Objects;

/**
 * A message the chat has validated and wants stored; the store assigns its per-phone sequence.
 *
 * @param text         null when an attachment carries the message
 * @param attachmentId an attachment saved before the message, or null
 */
public record NewMessage(String id, String phone, String text, String attachmentId, Instant createdAt) {

    public NewMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(phone, "phone");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
