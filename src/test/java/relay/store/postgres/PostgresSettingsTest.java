package relay.store.postgres;

import java.io.IOException;
import java.time.InstantSource;
import relay.store.SettingsStore;
import relay.store.SettingsStoreContract;
import relay.testing.Postgres;

class PostgresSettingsTest extends SettingsStoreContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = TestDatabases.open(database, clock);
        return Backend.of(store);
    }

    @Override
    protected SettingsStore settings() {
        return new PostgresSettings(store);
    }
}
