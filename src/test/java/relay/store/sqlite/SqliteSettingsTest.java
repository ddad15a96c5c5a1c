package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;
import relay.store.SettingsStore;
import relay.store.SettingsStoreContract;

class SqliteSettingsTest extends SettingsStoreContract {
    @TempDir
    Path dataDir;

    private SqliteStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = SqliteStore.open(dataDir, clock);
        return Backend.of(store);
    }

    @Override
    protected SettingsStore settings() {
        return new SqliteSettings(store);
    }
}
