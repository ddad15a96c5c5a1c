package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.testing.Postgres;

/** Opens the PostgreSQL store on a test database, with a small pool. */
final class TestDatabases {
    static final int POOL_SIZE = 8;

    private TestDatabases() {
    }

    static PostgresStore open(Postgres.Database database, InstantSource clock) throws IOException {
        return PostgresStore.open(database.jdbcUrl(), database.user(), database.password(), database.jdbcUrl(),
                POOL_SIZE, clock);
    }
}
