package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.store.Contacts;
import relay.store.ContactsContract;
import relay.testing.Postgres;

class PostgresContactsTest extends ContactsContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = TestDatabases.open(database, clock);
        return Backend.of(store);
    }

    @Override
    protected Contacts contacts() {
        return new PostgresContacts(store);
    }
}
