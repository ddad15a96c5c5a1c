package relay.domain;

import java.time.Instant;

/**
 * Where one message's delivery stands.
 *
 * @param attempts      attempts made since the message was accepted or last re-queued
 * @param nextAttemptAt when a retry is due, or null
 * @param lastError     why the last attempt failed, or null
 */
public record Delivery(String messageId, DeliveryState state, int attempts, Instant nextAttemptAt, String lastError,
                       Instant updatedAt) {
}
