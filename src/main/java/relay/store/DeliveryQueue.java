package relay.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;

/**
 * Where each message's delivery stands, as the delivery engine moves it on: the durable truth a restart picks up
 * from. Each write returns once it is durable, or throws {@link IllegalArgumentException} (refused, nothing kept),
 * {@link StorageException} (the store failed for a known reason, nothing kept) or
 * {@link java.io.UncheckedIOException} (it failed otherwise). Instants are kept to the millisecond.
 */
public interface DeliveryQueue {

    /**
     * Stores the message with the next sequence number of its phone, and its delivery as {@code initial}: queued, or
     * held when the circuit is open, in the same transaction.
     *
     * @throws IllegalArgumentException when the attachment is unknown, the id is taken, or {@code initial} is
     *                                  neither queued nor held
     */
    Message accept(NewMessage message, DeliveryState initial);

    /** An attempt is starting; a delivery still sending after a restart was cut off mid-attempt. */
    void markSending(String messageId);

    /**
     * Records a finished attempt and where the delivery goes next, in one write.
     *
     * @param next          typically DELIVERED, RETRYING (with {@code nextAttemptAt}) or FAILED
     * @param nextAttemptAt null unless a retry is scheduled
     */
    void recordAttempt(Attempt attempt, DeliveryState next, Instant nextAttemptAt, String lastError);

    /**
     * Parks deliveries, e.g. while the circuit is open, in one write; their attempt counts stay. One already
     * delivered or failed is left as it is: its attempt ended after the decision to hold it.
     */
    void markHeld(Collection<String> messageIds);

    /**
     * Puts held deliveries back in line, e.g. when the circuit closes, in one write; their attempt counts stay. One
     * no longer held (re-queued, sent or finished meanwhile) is left as it is.
     */
    void markQueued(Collection<String> messageIds);

    /**
     * Starts a fresh delivery of a failed or held message (or a delivered one when {@code force}): queued, attempt
     * count 0, no error. Earlier attempts stay in the history; new ones count from 1 again.
     *
     * @return false when the message is unknown or its state does not allow it
     */
    boolean requeue(String messageId, boolean force);

    /**
     * Re-queues every failed delivery as {@link #requeue} does.
     *
     * @return their message ids, oldest first
     */
    List<String> requeueAllFailed();

    /** Every delivery that is not delivered or failed, oldest message first: what to pick up again on start. */
    List<Delivery> unfinished();

    Optional<Delivery> delivery(String messageId);
}
