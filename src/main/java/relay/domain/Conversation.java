package relay.domain;

import java.time.Instant;
import java.util.Map;

/**
 * One phone's thread as listed in the chat's sidebar.
 *
 * @param last     the newest message
 * @param summary  how many of its messages are in each state, every state present
 * @param total    how many messages the phone has
 * @param revision grows with every message accepted for the phone and every change of state of one of its
 *                 deliveries, so of two copies of the row read at different times the larger revision is the newer
 */
public record Conversation(String phone, MessageStatus last, Map<DeliveryState, Long> summary, long total,
                           long revision) {

    /** Where the conversation stands in the sidebar, which lists the newest last message first. */
    public Position position() {
        return new Position(last.message().createdAt(), last.message().id());
    }

    /** A place in the sidebar's order: by the last message's time, then its id; later places come first. */
    public record Position(Instant lastCreatedAt, String lastMessageId) {
    }
}
