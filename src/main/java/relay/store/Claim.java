package relay.store;

import java.time.Instant;
import java.util.Objects;
import relay.domain.MessageStatus;

/**
 * One delivery taken by {@link DeliveryQueue#claim} for one attempt. Every write of the attempt's outcome names the
 * token, and is dropped if the delivery has been claimed again since (its lease ran out): a stale attempt can never
 * overwrite a newer one.
 *
 * @param status     the message, and its delivery as claimed ({@code sending}, its attempts so far)
 * @param owner      who claimed it, e.g. a process
 * @param token      fences the writes of this attempt
 * @param leaseUntil when the delivery is due again unless the claim is renewed or settled first
 */
public record Claim(MessageStatus status, String owner, String token, Instant leaseUntil) {
    public Claim {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(token, "token");
    }

    public String messageId() {
        return status.message().id();
    }
}
