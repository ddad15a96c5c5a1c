package relay.store;

/**
 * A hint from one instance to the others sharing its store that something changed there. Never state: whoever
 * hears one reads the store for what it needs, so a hint that is lost, late, repeated or out of order costs at most
 * latency (the periodic backstops read the store anyway), never a wrong answer.
 */
public sealed interface Signal {

    /**
     * A message was accepted, or its delivery changed: pages and waiters re-read it, and when {@code newWork} claim
     * loops look for work (a message accepted, or an attempt that ended, which may free its conversation's next) — a
     * claim alone makes none.
     */
    record MessageChanged(String messageId, String phone, boolean newWork) implements Signal {
    }

    /** The circuit changed: the breaker re-reads its state. */
    record Circuit() implements Signal {
    }

    /** The live configuration was saved: each instance reloads it from the store and applies it. */
    record ConfigChanged() implements Signal {
    }

    /** A contact's name was given or removed. */
    record ContactChanged(String phone) implements Signal {
    }

    /**
     * Hints may have been missed (this instance's listening connection was lost and made again, or another instance
     * could not send for a while): re-read whatever is kept from the store.
     */
    record Resync() implements Signal {
    }
}
