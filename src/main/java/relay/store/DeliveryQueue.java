package relay.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;
import relay.domain.Ordering;

/**
 * The deliveries as the queue the engine works from, and the only truth about what is due: each delivery's state,
 * when it is due ({@code next_attempt_at}), its place in its conversation and its claim. Each write returns once it
 * is durable, or throws {@link IllegalArgumentException} (refused, nothing kept), {@link StorageException} (the store
 * failed for a known reason, nothing kept) or {@link java.io.UncheckedIOException} (it failed otherwise). Instants are
 * kept to the millisecond.
 *
 * <p>A delivery is <em>due</em> when it is queued or retrying and its time has come, or sending with a lease that
 * ran out (its attempt's process stopped, or the attempt lost touch): that is how work left by a crash is picked up,
 * with nothing special at start. It is the <em>head</em> of its conversation when no earlier delivery of its phone
 * blocks it, as {@link Ordering#blocks} says.
 */
public interface DeliveryQueue {

    /**
     * Stores the message with the next sequence number of its phone, and its delivery as {@code initial} (queued, or
     * held when the circuit is open), due at once and last in its conversation, in the same transaction.
     *
     * @throws IllegalArgumentException when the attachment is unknown, the id is taken, or {@code initial} is
     *                                  neither queued nor held
     */
    Message accept(NewMessage message, DeliveryState initial);

    /**
     * In one write, takes up to {@code limit} deliveries that are due at {@code now}, not held and the head of their
     * conversation under {@code ordering}, earliest due first (then in the order they were queued), and marks each
     * sending with a fresh token and a lease until {@code now + lease}. No two deliveries of one phone are ever
     * claimed together unless {@code ordering} is none.
     */
    List<Claim> claim(Instant now, int limit, String owner, Duration lease, Ordering ordering);

    /**
     * As {@link #claim}, one delivery, held ones included: the probe that tests a circuit whose open window ended.
     */
    Optional<Claim> claimProbe(Instant now, String owner, Duration lease, Ordering ordering);

    /** Moves the claim's lease to {@code now + lease}; false when the claim no longer holds. */
    boolean renew(Claim claim, Instant now, Duration lease);

    /**
     * Records the claim's attempt and where the delivery goes next, in one write, if the claim still holds; false
     * (and nothing written) when the delivery was claimed again meanwhile.
     *
     * @param next          DELIVERED, RETRYING (with {@code nextAttemptAt}), FAILED, or HELD (due when released)
     * @param nextAttemptAt when a retry is due; null unless RETRYING
     */
    boolean complete(Claim claim, Attempt attempt, DeliveryState next, Instant nextAttemptAt, String lastError);

    /**
     * Gives the claim back without an attempt (nothing was sent): retrying at {@code at}, its attempts and error as
     * they were. False when the claim no longer holds.
     */
    boolean reschedule(Claim claim, Instant at);

    /** Holds every queued or retrying delivery due at {@code now} (the circuit is open); their ids, oldest due first. */
    List<String> hold(Instant now);

    /**
     * Queues every held delivery, due at {@code now}, so that they are claimed in the order they were first queued;
     * their ids, oldest first.
     */
    List<String> release(Instant now);

    /**
     * Starts a fresh delivery of a failed or held message (or a delivered one when {@code force}): queued and due
     * now, attempt count 0, no error. A failed or delivered message goes to the back of its conversation, keeping its
     * id and sequence; a held one keeps its place. Earlier attempts stay in the history; new ones count from 1 again.
     *
     * @return false when the message is unknown or its state does not allow it
     */
    boolean requeue(String messageId, boolean force);

    /**
     * Re-queues every failed delivery as {@link #requeue} does, oldest first.
     *
     * @return their message ids, oldest first
     */
    List<String> requeueAllFailed();

    /**
     * Gives up on a queued, retrying, held or failed delivery: failed, its error saying it was skipped, never
     * claimed again, and no longer blocking its conversation under {@link Ordering#STRICT}.
     *
     * @return false when the message is unknown, sending, delivered, or already skipped
     */
    boolean skip(String messageId);

    /**
     * When the earliest head that is not yet due at {@code now} will be; empty when none waits for a time. What the
     * engine sets its wake-up for.
     */
    Optional<Instant> nextDue(Instant now, Ordering ordering);

    Optional<Delivery> delivery(String messageId);
}
