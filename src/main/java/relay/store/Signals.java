package relay.store;

import java.util.function.Consumer;

/**
 * Hints ({@link Signal}s) between the instances sharing one store. Sending never throws and never waits on the
 * store: a hint that cannot be sent is dropped (and logged), and the receivers' backstops cover it. Listeners hear
 * the hints of the other instances only, never this one's own.
 */
public interface Signals extends AutoCloseable {

    void send(Signal signal);

    /** Tells {@code listener} of each hint from another instance, one at a time, on a thread of the implementation. */
    void addListener(Consumer<Signal> listener);

    /** Whether other instances may share the store (and so send hints, and need the backstops). */
    boolean shared();

    @Override
    void close();

    /** For a store only one process uses (SQLite): nobody else to tell, and nobody tells this one anything. */
    static Signals none() {
        return None.INSTANCE;
    }

    /** The one-process kind: in-process listeners already hear every change. */
    enum None implements Signals {
        INSTANCE;

        @Override
        public void send(Signal signal) {
            // nobody else shares the store
        }

        @Override
        public void addListener(Consumer<Signal> listener) {
            // nothing is ever heard
        }

        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}
