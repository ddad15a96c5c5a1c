package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.store.AttachmentStoreContract;
import relay.testing.Postgres;

class PostgresAttachmentStoreTest extends AttachmentStoreContract {
    private final Postgres.Database database = Postgres.newDatabase();

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        return Backend.of(TestDatabases.open(database, clock));
    }
}
