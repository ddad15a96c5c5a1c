package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit;

/** What every {@link CircuitStore} promises; a backend's test subclasses this and says where its circuit is. */
public abstract class CircuitStoreContract {
    protected static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");
    protected static final Circuit.Limits LIMITS = new Circuit.Limits(1, Duration.ofSeconds(60));

    /** The store under test, fresh for each test. */
    protected abstract CircuitStore circuit();

    @Test
    void shouldStartClosedWithNothingCounted() {
        assertEquals(Circuit.INITIAL, circuit().read());
    }

    @Test
    void shouldStoreAMoveWithTheNextVersionAndSayWhatItFoundAndLeft() {
        CircuitStore.Change change = circuit().update(circuit -> circuit.failed(T0, LIMITS));

        assertEquals(Circuit.INITIAL, change.before());
        assertEquals(Circuit.INITIAL.failed(T0, LIMITS).withVersion(1), change.after());
        assertTrue(change.changed());
        assertEquals(change.after(), circuit().read());
    }

    @Test
    void shouldWriteNothingWhenAMoveChangesNothing() {
        circuit().update(circuit -> circuit.failed(T0, LIMITS));

        CircuitStore.Change change = circuit().update(circuit -> circuit.acquire(T0.plusSeconds(1), "a", null));

        assertFalse(change.changed());
        assertEquals(change.before(), change.after());
        assertEquals(1, circuit().read().version());
    }

    @Test
    void shouldKeepEveryFieldOfTheCircuit() {
        circuit().update(circuit -> circuit.failed(T0, LIMITS));
        Circuit probing = circuit().update(circuit -> circuit.acquire(T0.plusSeconds(60), "instance-a",
                T0.plusSeconds(90))).after();

        assertEquals(new Circuit(Circuit.State.HALF_OPEN, 1, T0, T0.plusSeconds(60), null, "instance-a",
                T0.plusSeconds(90), 2), probing);
        assertEquals(probing, circuit().read());
        Circuit paused = circuit().update(circuit -> circuit.paused(T0.plusSeconds(61), "HTTP 410 Gone")).after();
        assertEquals("HTTP 410 Gone", circuit().read().pausedReason());
        assertEquals(paused, circuit().read());
    }
}
