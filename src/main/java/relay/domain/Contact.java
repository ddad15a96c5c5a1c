package relay.domain;

/**
 * A phone number and the name the operator gave it.
 *
 * @param phone E.164
 * @param name  null when the phone has none (e.g. once it was removed)
 */
public record Contact(String phone, String name) {
}
