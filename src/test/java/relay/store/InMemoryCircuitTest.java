package relay.store;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class InMemoryCircuitTest extends CircuitStoreContract {
    private final CircuitStore circuit = CircuitStore.inMemory();

    @Override
    protected CircuitStore circuit() {
        return circuit;
    }

    @Test
    void shouldBeOneProcesssAlone() {
        assertFalse(circuit.shared());
    }
}
