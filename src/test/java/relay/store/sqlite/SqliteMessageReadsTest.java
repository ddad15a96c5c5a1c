package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;
import relay.store.MessageReadsContract;

class SqliteMessageReadsTest extends MessageReadsContract {
    @TempDir
    Path dataDir;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        return Backend.of(SqliteStore.open(dataDir, clock));
    }
}
