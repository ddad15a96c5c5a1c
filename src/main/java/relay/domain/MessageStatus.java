package relay.domain;

/** A stored message together with where its delivery stands. */
public record MessageStatus(Message message, Delivery delivery) {
}
