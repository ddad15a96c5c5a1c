package relay.store;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import relay.domain.Circuit;

/** The circuit of one process, which nobody else moves: held under a lock, never long, since a step is pure. */
final class InMemoryCircuit implements CircuitStore {
    private final ReentrantLock lock = new ReentrantLock();
    private Circuit circuit = Circuit.INITIAL; // guarded by lock

    @Override
    public Circuit read() {
        lock.lock();
        try {
            return circuit;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Change update(UnaryOperator<Circuit> step) {
        lock.lock();
        try {
            Circuit before = circuit;
            Circuit next = step.apply(before);
            if (!next.equals(before)) {
                circuit = next.withVersion(before.version() + 1);
            }
            return new Change(before, circuit);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean shared() {
        return false;
    }
}
