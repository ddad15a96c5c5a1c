package relay.store;

import relay.chat.Message;

/** A stored message together with where its delivery stands. */
public record MessageStatus(Message message, Delivery delivery) {
}
