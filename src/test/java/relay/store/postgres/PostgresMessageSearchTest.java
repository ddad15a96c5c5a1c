package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.store.Contacts;
import relay.store.MessageSearch;
import relay.store.MessageSearchContract;
import relay.testing.Postgres;

class PostgresMessageSearchTest extends MessageSearchContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = TestDatabases.open(database, clock);
        return Backend.of(store);
    }

    @Override
    protected MessageSearch search() {
        return new PostgresSearch(store);
    }

    @Override
    protected Contacts contacts() {
        return new PostgresContacts(store);
    }
}
