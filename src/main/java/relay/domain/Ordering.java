package relay.domain;

import java.util.Locale;

/**
 * How the deliveries of one conversation (one phone) are ordered, and what a failed one does to those behind it: the
 * head-of-line policy, named so the operator chooses it ({@code WEBHOOK_ORDERING}).
 */
public enum Ordering {
    /**
     * Each phone's messages go in the order they were accepted, one attempt in flight per phone; the messages behind a
     * head being retried wait, and a head that fails for good lets its conversation go on.
     */
    CONVERSATION,
    /** As {@link #CONVERSATION}, but a failed head blocks its conversation until it is resent or skipped. */
    STRICT,
    /** No order: every due delivery may go, up to the concurrency bound. */
    NONE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a delivery in {@code state} (skipped or not) holds back the later deliveries of its phone. */
    public boolean blocks(DeliveryState state, boolean skipped) {
        return switch (this) {
            case NONE -> false;
            case CONVERSATION -> !state.isFinal();
            case STRICT -> !state.isFinal() || (state == DeliveryState.FAILED && !skipped);
        };
    }
}
