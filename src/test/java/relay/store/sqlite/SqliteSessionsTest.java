package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;
import relay.store.Sessions;
import relay.store.SessionsContract;

class SqliteSessionsTest extends SessionsContract {
    @TempDir
    Path dataDir;

    private SqliteStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = SqliteStore.open(dataDir, clock);
        return Backend.of(store);
    }

    @Override
    protected Sessions sessions() {
        return new SqliteSessions(store);
    }
}
