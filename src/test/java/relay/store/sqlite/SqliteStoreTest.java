package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.DeliveryState;
import relay.store.StoreFixture;

/** What the SQLite store does beyond the seams' contracts (SqliteDeliveryQueueTest and the others run those). */
class SqliteStoreTest {
    private static final String ALICE = "+5511999990001";

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private SqliteStore outbox;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
    }

    @AfterEach
    void close() {
        outbox.close();
    }

    @Test
    void shouldCheckpointTheLogIntoTheDatabaseBesideTheWriter() throws IOException {
        for (int i = 0; i < 50; i++) {
            fixture.accept(outbox, ALICE, "message " + i);
        }
        long logBefore = Files.size(dataDir.resolve("chat.db-wal"));

        Checkpointer.Progress progress = outbox.checkpoint();

        assertTrue(progress.logFrames() > 0, "commits went to the log, not into chat.db");
        assertEquals(progress.logFrames(), progress.checkpointedFrames(), "an idle log is copied whole");
        fixture.accept(outbox, ALICE, "after the checkpoint");
        assertEquals(logBefore, Files.size(dataDir.resolve("chat.db-wal")), "the log starts over instead of growing");
        assertEquals(51, outbox.counts().get(DeliveryState.QUEUED));
    }

    @Test
    void shouldAnswerHealthChecksUntilClosed() {
        assertTrue(outbox.isReachable());

        outbox.close();

        assertFalse(outbox.isReachable());
        assertThrows(IllegalStateException.class, () -> fixture.accept(outbox, ALICE, "too late"));
        assertThrows(IllegalStateException.class, () -> outbox.counts());
    }
}
