package relay.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import relay.domain.Attempt;
import relay.domain.AttemptMetrics;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.MessageStatus;
import relay.domain.Ordering;

/**
 * What the pages, the status routes and the engine read: messages with their deliveries, threads, the sidebar's
 * conversations, attempts and totals. Reads see the last committed state; a limit below 1 is refused with
 * {@link IllegalArgumentException}.
 */
public interface MessageReads {

    Optional<MessageStatus> message(String messageId);

    /** Every attempt ever made for the message, also before re-deliveries, oldest first. */
    List<Attempt> attempts(String messageId);

    /**
     * A page of one phone's thread: the newest {@code limit} messages older than {@code beforeMessageId} (or the
     * newest when null), oldest first. Empty when {@code beforeMessageId} is not a message of this phone.
     */
    List<MessageStatus> conversation(String phone, int limit, String beforeMessageId);

    /**
     * A page of the sidebar, one conversation per phone, the newest last message first: up to {@code limit} placed
     * after {@code before}, or the newest when null. A page costs its length, not the number of conversations.
     */
    List<Conversation> conversations(int limit, Conversation.Position before);

    /** The sidebar's row of one phone; empty when it has no message. */
    Optional<Conversation> conversationOf(String phone);

    /** How many deliveries are in each state; every state present, zeros included. */
    Map<DeliveryState, Long> counts();

    /**
     * The delivery the later ones of {@code phone} wait for under {@code ordering}: its first delivery in line that
     * blocks them (see {@link Ordering#blocks}). Empty when nothing blocks, and always under {@link Ordering#NONE}.
     */
    Optional<Delivery> head(String phone, Ordering ordering);

    /**
     * How many queued, retrying and held deliveries wait behind an earlier one of their phone under
     * {@code ordering}, by state; states without any are left out.
     */
    Map<DeliveryState, Long> waiting(Ordering ordering);

    AttemptStats stats();

    /**
     * Totals for monitoring: attempts by outcome, how many took at most each of {@code bucketMillis}, and accepted
     * messages; one read, so the numbers agree with each other.
     */
    AttemptMetrics metrics(List<Long> bucketMillis);

    /**
     * Failed attempts with their messages, the latest first: up to {@code limit} placed after {@code before} (or from
     * the latest when null).
     */
    List<Failure> failures(int limit, Failure.Position before);
}
