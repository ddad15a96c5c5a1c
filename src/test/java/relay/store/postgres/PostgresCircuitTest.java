package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit;
import relay.store.CircuitStore;
import relay.store.CircuitStoreContract;
import relay.testing.Postgres;

class PostgresCircuitTest extends CircuitStoreContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @BeforeEach
    void open() throws IOException {
        store = TestDatabases.open(database, InstantSource.system());
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    protected CircuitStore circuit() {
        return new PostgresCircuit(store, "test");
    }

    @Test
    void shouldBeSharedByEveryInstanceOnTheDatabase() throws IOException {
        Circuit opened = circuit().update(circuit -> circuit.failed(T0, LIMITS)).after();

        try (PostgresStore another = TestDatabases.open(database, InstantSource.system())) {
            assertTrue(new PostgresCircuit(another, "another").shared());
            assertEquals(opened, new PostgresCircuit(another, "another").read());
        }
    }
}
