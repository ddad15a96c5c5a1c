package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;
import relay.store.Contacts;
import relay.store.MessageSearch;
import relay.store.MessageSearchContract;

class SqliteMessageSearchTest extends MessageSearchContract {
    @TempDir
    Path dataDir;

    private SqliteStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = SqliteStore.open(dataDir, clock);
        return Backend.of(store);
    }

    @Override
    protected MessageSearch search() {
        return new SqliteSearch(store);
    }

    @Override
    protected Contacts contacts() {
        return new SqliteContacts(store);
    }
}
