package relay.webhook;

import relay.domain.Delivery;

/**
 * A message's delivery changed (or the message was just accepted): what the live page and the event stream show.
 *
 * @param maxAttempts the immediate attempt plus the retries allowed for this message's kind
 */
public record DeliveryEvent(String messageId, String phone, Delivery delivery, int maxAttempts) {
}
