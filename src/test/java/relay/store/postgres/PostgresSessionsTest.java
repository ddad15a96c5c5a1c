package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.store.Sessions;
import relay.store.SessionsContract;
import relay.testing.Postgres;

class PostgresSessionsTest extends SessionsContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = TestDatabases.open(database, clock);
        return Backend.of(store);
    }

    @Override
    protected Sessions sessions() {
        return new PostgresSessions(store);
    }
}
