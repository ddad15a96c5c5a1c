package relay.store;

import java.util.Map;

/**
 * One phone's thread as listed in the chat's sidebar.
 *
 * @param last    the newest message
 * @param summary how many of its messages are in each state, every state present
 * @param total   how many messages the phone has
 */
public record Conversation(String phone, MessageStatus last, Map<DeliveryState, Long> summary, long total) {
}
