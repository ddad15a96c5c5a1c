package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Attachment;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.store.AttachmentStore;
import relay.store.HousekeepingTotals;
import relay.store.StorageException;
import relay.store.StoreFixture;
import relay.testing.Postgres;

/** Housekeeping on PostgreSQL deletes what SQLite's does (see HousekeeperTest), and content nothing uses. */
class PostgresHousekeeperTest {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";
    private static final Duration ORPHAN_AGE = Duration.ofHours(24);
    private static final Duration RETENTION = Duration.ofDays(30);

    private final StoreFixture fixture = new StoreFixture();
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @BeforeEach
    void open() throws Exception {
        store = TestDatabases.open(database, fixture.clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private PostgresHousekeeper housekeeper(Optional<Duration> retention, int batch) {
        return new PostgresHousekeeper(store, ORPHAN_AGE, retention, fixture.clock, batch);
    }

    @Test
    void shouldDeleteUploadsNoMessageUsedOnceOlderThanTheOrphanAgeWithTheirContentUnlessShared() throws Exception {
        Attachment sent = fixture.saveAttachment(store, "the contract");
        store.accept(fixture.newMessage(ALICE, null, sent.id()), DeliveryState.QUEUED);
        Attachment unused = fixture.saveAttachment(store, "a draft photo");
        Attachment sameBytesUnused = fixture.saveAttachment(store, "the contract");
        fixture.clock.advance(ORPHAN_AGE.plusSeconds(1));
        Attachment young = fixture.saveAttachment(store, "uploaded just now");

        HousekeepingTotals deleted = housekeeper(Optional.empty(), 500).run();

        assertEquals(new HousekeepingTotals(2, 0, 1), deleted);
        assertFalse(store.attachment(unused.id()).isPresent());
        assertFalse(store.attachment(sameBytesUnused.id()).isPresent());
        assertFalse(isStored(unused.sha256()), "its content went with it");
        assertTrue(isStored(sent.sha256()), "a sent attachment shares the content");
        assertTrue(store.attachment(young.id()).isPresent(), "not old enough yet");
        assertEquals(deleted, store.deletedByHousekeeping());
    }

    @Test
    void shouldDeleteFinishedMessagesPastRetentionInBatchesAndGoOnNumbering() throws Exception {
        Message withFile = store.accept(fixture.newMessage(ALICE, null,
                fixture.saveAttachment(store, "an old invoice").id()), DeliveryState.QUEUED);
        deliver(withFile);
        for (int i = 0; i < 4; i++) {
            deliver(fixture.accept(store, ALICE, "old " + i));
        }
        Message retrying = fixture.accept(store, BOB, "still trying");
        fixture.settle(store, fixture.failedAttempt(retrying.id(), 1, 503), DeliveryState.RETRYING,
                fixture.clock.instant().plus(RETENTION.multipliedBy(2)), "HTTP 503");
        fixture.clock.advance(RETENTION.plusDays(1));

        HousekeepingTotals deleted = housekeeper(Optional.of(RETENTION), 2).run();

        assertEquals(new HousekeepingTotals(0, 5, 1), deleted);
        assertEquals(List.of(), store.conversation(ALICE, 10, null));
        assertEquals(List.of(), store.attempts(withFile.id()));
        assertFalse(isStored(withFile.attachment().sha256()));
        assertTrue(store.message(retrying.id()).isPresent(), "unfinished deliveries are never deleted");
        assertEquals(6, fixture.accept(store, ALICE, "new").sequence(), "numbers are never handed out again");
        assertEquals(deleted, store.deletedByHousekeeping());
    }

    @Test
    void shouldDeleteOldContentNoAttachmentUsesOnceItsUploadIsLongOver() throws Exception {
        var abandoned = (AttachmentStore.Written.Stored) store.upload(
                new ByteArrayInputStream("an upload whose instance stopped".getBytes(StandardCharsets.UTF_8)), 1024);
        fixture.clock.advance(Duration.ofHours(1));
        var underWay = (AttachmentStore.Written.Stored) store.upload(
                new ByteArrayInputStream("an upload under way".getBytes(StandardCharsets.UTF_8)), 1024);

        assertEquals(HousekeepingTotals.NONE, housekeeper(Optional.empty(), 500).run(), "both too young");
        fixture.clock.advance(ORPHAN_AGE.minusMinutes(30));

        assertEquals(new HousekeepingTotals(0, 0, 1), housekeeper(Optional.empty(), 500).run());
        assertFalse(isStored(abandoned.sha256()), "its hold was a day old: no upload lasts that long");
        assertTrue(isStored(underWay.sha256()));
    }

    @Test
    void shouldClearTheChunksOfAnUploadCutShortByACrash() {
        store.transaction(connection -> {
            Sql.update(connection, "INSERT INTO upload_staging (staging_key, started_at) VALUES (?, ?)",
                    "upload:cut-short", fixture.clock.instant());
            return Sql.update(connection, "INSERT INTO attachment_chunks (sha256, chunk_index, bytes) VALUES (?, ?, ?)",
                    "upload:cut-short", 0, new byte[] {1, 2, 3});
        });
        fixture.clock.advance(ORPHAN_AGE.plusSeconds(1));

        housekeeper(Optional.empty(), 500).run();

        assertEquals(0L, rows("upload_staging") + rows("attachment_chunks"));
    }

    private long rows(String table) {
        return store.transaction(connection -> Sql.number(connection, "SELECT COUNT(*) FROM " + table));
    }

    @Test
    void shouldLeaveTheWorkToTheInstanceThatIsHousekeepingAlready() throws Exception {
        Attachment unused = fixture.saveAttachment(store, "a draft photo");
        fixture.clock.advance(ORPHAN_AGE.plusSeconds(1));

        try (PostgresStore otherInstance = TestDatabases.open(database, fixture.clock)) {
            HousekeepingTotals whileBusy = otherInstance.transaction(connection -> {
                Sql.exists(connection, "SELECT pg_advisory_xact_lock(3, 0)");
                return housekeeper(Optional.empty(), 500).run();
            });

            assertEquals(HousekeepingTotals.NONE, whileBusy);
            assertTrue(store.attachment(unused.id()).isPresent());
        }
        assertEquals(1, housekeeper(Optional.empty(), 500).run().orphanUploads(), "and does it once it is free");
    }

    private void deliver(Message message) {
        fixture.settle(store, fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null, null);
    }

    private boolean isStored(String sha256) {
        try (var content = store.open(sha256)) {
            return content.isOpen();
        } catch (StorageException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
