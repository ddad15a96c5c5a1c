package relay.store;

import java.util.Objects;
import java.util.function.UnaryOperator;
import relay.domain.Circuit;

/**
 * Where the circuit breaker's state lives. One process keeps it in memory ({@link #inMemory}); instances sharing
 * PostgreSQL keep it in one row, so that they share one circuit: failures counted by all of them open it for all,
 * and only one of them gets the half-open probe. The breaker decides every move (see {@link Circuit}); the store
 * makes each move atomic against every other holder of the same circuit.
 *
 * <p>Calls throw as {@link DeliveryQueue}'s do when the store cannot be reached; the breaker then goes by its last copy.
 */
public interface CircuitStore {

    /** The circuit as stored now. */
    Circuit read();

    /**
     * Moves the stored circuit by {@code step}, atomically against every other instance: {@code step} is applied to
     * what is stored, and what it returns is stored with the next version when it differs. {@code step} must be pure:
     * it may be applied more than once (a transaction run again).
     */
    Change update(UnaryOperator<Circuit> step);

    /**
     * Whether other processes move the same circuit: then a holder must look again now and then to see their moves,
     * and a half-open probe needs a deadline, since its holder may die without reporting back.
     */
    boolean shared();

    /**
     * One move as stored: what {@code step} found and what it left. {@link #changed()} is false when the step left
     * the circuit as it was (nothing was written).
     */
    record Change(Circuit before, Circuit after) {
        public Change {
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
        }

        public boolean changed() {
            return after.version() != before.version();
        }
    }

    /** The circuit of one process, which nobody else moves. */
    static CircuitStore inMemory() {
        return new InMemoryCircuit();
    }
}
