package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Message;
import relay.store.StorageException;
import relay.store.StorageFault;
import relay.store.StoreFixture;
import relay.testing.LogCapture;

/**
 * A store that fails for a known reason says which, logs it once, and takes writes again as soon as the reason is
 * gone, without a restart. The full disk here is SQLite's page limit ({@code PRAGMA max_page_count}), which fails a
 * write with SQLITE_FULL as a full disk does; {@code relay.fault.FullDiskTest} fills a real file system.
 */
class StoreRecoveryTest {
    private static final String ALICE = "+5511999990001";
    private static final String TEXT = "x".repeat(1000);

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private SqliteStore outbox;
    private LogCapture log;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
        log = LogCapture.start();
    }

    @AfterEach
    void close() {
        log.close();
        outbox.close();
    }

    @Test
    void shouldTakeWritesAgainAsSoonAsSpaceReturns() {
        int stored = fillDatabase();

        StorageException again = assertThrows(StorageException.class, () -> fixture.accept(outbox, ALICE, TEXT));
        assertEquals(StorageFault.FULL, again.fault());
        allowPages(100_000);
        Message after = fixture.accept(outbox, ALICE, "after");

        assertEquals(stored + 1, after.sequence(), "the refused messages kept nothing, not even a sequence number");
        assertEquals(stored + 1, outbox.conversation(ALICE, 200, null).size());
    }

    @Test
    void shouldLogAnIncidentOnceWithoutAStackTraceAndItsEndOnce() {
        fillDatabase();
        for (int i = 0; i < 3; i++) {
            assertThrows(StorageException.class, () -> fixture.accept(outbox, ALICE, TEXT));
        }
        allowPages(100_000);
        fixture.accept(outbox, ALICE, "after");
        fixture.accept(outbox, ALICE, "and after");

        List<JsonNode> full = log.events("store.full");
        assertEquals(1, full.size(), log.text());
        assertEquals("SEVERE", full.getFirst().path("level").asText());
        assertTrue(full.getFirst().path("message").asText().contains("chat.db: the disk is full"), log.text());
        assertEquals("SQLITE_FULL", full.getFirst().path("code").asText());
        List<JsonNode> recovered = log.events("store.recovered");
        assertEquals(1, recovered.size(), log.text());
        assertEquals("✅ chat.db writable again (it was full)", recovered.getFirst().path("message").asText());
        assertFalse(log.text().contains("\tat "), "no stack trace: " + log.text());
    }

    @Test
    void shouldReportTheIncidentUntilAWriteSucceeds() {
        assertEquals(Optional.empty(), outbox.fault());
        fillDatabase();

        assertEquals(Optional.of(StorageFault.FULL), outbox.fault());
        allowPages(100_000);
        assertEquals(Optional.of(StorageFault.FULL), outbox.fault(), "a write that changed nothing proves nothing");
        fixture.accept(outbox, ALICE, "after");

        assertEquals(Optional.empty(), outbox.fault());
    }

    @Test
    void shouldNoticeRecoveryByProbingOnceTheStoreHasBeenQuiet() {
        fillDatabase();
        allowPages(100_000);

        fixture.clock.advance(Duration.ofSeconds(1));

        assertEquals(Optional.empty(), outbox.fault(), "an empty commit and a file written where uploads go");
        assertEquals(1, log.events("store.recovered").size(), log.text());
    }

    /** Lets chat.db grow by a few pages, then accepts messages until one is refused; returns how many fit. */
    private int fillDatabase() {
        allowPages(2);
        for (int stored = 0; stored < 1000; stored++) {
            try {
                fixture.accept(outbox, ALICE, TEXT);
            } catch (StorageException e) {
                assertEquals(StorageFault.FULL, e.fault());
                return stored;
            }
        }
        return fail("chat.db never filled up");
    }

    private void allowPages(int more) {
        StoreSeams.limitPages(outbox, more);
    }
}
