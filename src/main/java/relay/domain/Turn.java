package relay.domain;

import java.util.Optional;

/**
 * Where a delivery stands in its conversation's line, derived when it is read from the head of its phone (see
 * {@link Ordering#blocks}) and never stored: the order lives in the queue, and this only says what it means for one
 * message.
 */
public sealed interface Turn {
    /** Nothing of its phone holds it back: it goes when due, or it is finished. */
    record Free() implements Turn {
    }

    /** It waits, spending no attempt, for {@code head}: an earlier message of its phone not finished yet. */
    record Waiting(Delivery head) implements Turn {
    }

    /** A failed head that holds its conversation back until it is resent or skipped ({@link Ordering#STRICT}). */
    record Blocking() implements Turn {
    }

    /** @param head what the later deliveries of its phone wait for, as the queue says; empty when nothing */
    static Turn of(Delivery delivery, Optional<Delivery> head) {
        if (head.isEmpty()) {
            return new Free();
        }
        if (head.get().messageId().equals(delivery.messageId())) {
            return delivery.state() == DeliveryState.FAILED ? new Blocking() : new Free();
        }
        return switch (delivery.state()) {
            case QUEUED, RETRYING, HELD -> new Waiting(head.get());
            case SENDING, DELIVERED, FAILED -> new Free();
        };
    }

    /** Whether the head of its phone could make a delivery in {@code state} wait or block: worth reading it. */
    static boolean mayDependOnHead(DeliveryState state) {
        return state != DeliveryState.SENDING && state != DeliveryState.DELIVERED;
    }
}
