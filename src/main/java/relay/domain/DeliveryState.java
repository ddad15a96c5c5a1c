package relay.domain;

import java.util.Locale;

/**
 * Where a message's delivery stands. {@code queued → sending → delivered}; a failed attempt leads to
 * {@code retrying} (with a next attempt time) or {@code failed}; {@code held} while the circuit is open.
 */
public enum DeliveryState {
    QUEUED, SENDING, RETRYING, HELD, DELIVERED, FAILED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeliveryState fromWireName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Delivered and failed deliveries are not picked up again on start; the others are. */
    public boolean isFinal() {
        return this == DELIVERED || this == FAILED;
    }
}
