package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.store.AttachmentStore;
import relay.store.HousekeepingTotals;
import relay.store.StoreFixture;
import relay.testing.ManualScheduler;

class HousekeeperTest {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";
    private static final Duration ORPHAN_AGE = Duration.ofHours(24);
    private static final Duration RETENTION = Duration.ofDays(30);

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private final ManualScheduler scheduler = new ManualScheduler(fixture.clock);
    private final Logger logger = Logger.getLogger(Housekeeper.class.getName());
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logLines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private SqliteStore outbox;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
        logger.addHandler(capture);
    }

    @AfterEach
    void close() {
        logger.removeHandler(capture);
        outbox.close();
    }

    private Housekeeper housekeeper(Optional<Duration> retention, int batch) {
        return new Housekeeper(outbox, ORPHAN_AGE, retention, fixture.clock, batch);
    }

    @Test
    void shouldDeleteUploadsNoMessageUsedOnceOlderThanTheOrphanAge() throws IOException {
        Attachment sent = fixture.saveAttachment(outbox, "the contract");
        outbox.accept(fixture.newMessage(ALICE, null, sent.id()), DeliveryState.QUEUED);
        Attachment unused = fixture.saveAttachment(outbox, "a draft photo");
        Attachment sameBytesUnused = fixture.saveAttachment(outbox, "the contract");
        fixture.clock.advance(ORPHAN_AGE.plusSeconds(1));
        Attachment young = fixture.saveAttachment(outbox, "uploaded just now");

        HousekeepingTotals deleted = housekeeper(Optional.empty(), 500).run();

        assertEquals(new HousekeepingTotals(2, 0, 1), deleted);
        assertFalse(outbox.attachment(unused.id()).isPresent());
        assertFalse(outbox.attachment(sameBytesUnused.id()).isPresent());
        assertFalse(Files.exists(outbox.files().path(unused.sha256())), "its file went with it");
        assertTrue(Files.exists(outbox.files().path(sent.sha256())), "a sent attachment shares the content");
        assertTrue(outbox.attachment(sent.id()).isPresent());
        assertTrue(outbox.attachment(young.id()).isPresent(), "not old enough yet");
        assertEquals(deleted, outbox.deletedByHousekeeping());
    }

    @Test
    void shouldKeepMessagesForeverWithoutRetention() {
        Message delivered = fixture.accept(outbox, ALICE, "kept");
        fixture.settle(outbox, fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);
        fixture.clock.advance(Duration.ofDays(3650));

        assertEquals(HousekeepingTotals.NONE, housekeeper(Optional.empty(), 500).run());

        assertTrue(outbox.message(delivered.id()).isPresent());
    }

    @Test
    void shouldDeleteFinishedMessagesPastRetentionWithTheirAttemptsAttachmentsAndFiles() throws IOException {
        Message withFile = outbox.accept(fixture.newMessage(ALICE, null,
                fixture.saveAttachment(outbox, "an old invoice").id()), DeliveryState.QUEUED);
        deliver(withFile);
        Message failed = fixture.accept(outbox, ALICE, "never arrived");
        fixture.settle(outbox, fixture.failedAttempt(failed.id(), 1, 500), DeliveryState.FAILED, null, "HTTP 500");
        Message retrying = fixture.accept(outbox, BOB, "still trying");
        fixture.settle(outbox, fixture.failedAttempt(retrying.id(), 1, 503), DeliveryState.RETRYING,
                fixture.clock.instant().plus(RETENTION.multipliedBy(2)), "HTTP 503");
        Attachment oldShared = fixture.saveAttachment(outbox, "the price list");
        Message oldWithShared = outbox.accept(fixture.newMessage(BOB, null, oldShared.id()), DeliveryState.QUEUED);
        deliver(oldWithShared);
        fixture.clock.advance(RETENTION);
        Attachment recentShared = fixture.saveAttachment(outbox, "the price list");
        Message recent = outbox.accept(fixture.newMessage(BOB, null, recentShared.id()), DeliveryState.QUEUED);
        deliver(recent);

        HousekeepingTotals deleted = housekeeper(Optional.of(RETENTION), 500).run();

        assertEquals(new HousekeepingTotals(0, 3, 1), deleted);
        for (Message gone : List.of(withFile, failed, oldWithShared)) {
            assertFalse(outbox.message(gone.id()).isPresent(), gone.id());
            assertFalse(outbox.delivery(gone.id()).isPresent(), gone.id());
            assertEquals(List.of(), outbox.attempts(gone.id()), gone.id());
        }
        assertFalse(outbox.attachment(withFile.attachment().id()).isPresent());
        assertFalse(Files.exists(outbox.files().path(withFile.attachment().sha256())));
        assertFalse(outbox.attachment(oldShared.id()).isPresent());
        assertTrue(Files.exists(outbox.files().path(recentShared.sha256())), "a kept message shares the content");
        assertTrue(outbox.message(retrying.id()).isPresent(), "unfinished deliveries are never deleted");
        assertTrue(outbox.message(recent.id()).isPresent());
    }

    @Test
    void shouldGoOnNumberingAPhoneAfterRetentionDeletedItsNewestMessages() {
        for (int i = 0; i < 3; i++) {
            deliver(fixture.accept(outbox, ALICE, "old " + i));
        }
        fixture.clock.advance(RETENTION.plusDays(1));

        assertEquals(3, housekeeper(Optional.of(RETENTION), 500).run().messages());

        assertEquals(List.of(), outbox.conversation(ALICE, 10, null));
        assertEquals(4, fixture.accept(outbox, ALICE, "new").sequence(), "numbers are never handed out again");
        assertEquals(1, fixture.accept(outbox, BOB, "another phone").sequence());
    }

    @Test
    void shouldDeleteABacklogInBoundedBatches() {
        for (int i = 0; i < 25; i++) {
            deliver(fixture.accept(outbox, i % 2 == 0 ? ALICE : BOB, "old " + i));
        }
        fixture.clock.advance(RETENTION.plusDays(1));
        long commitsBefore = outbox.commitCount();

        assertEquals(25, housekeeper(Optional.of(RETENTION), 10).run().messages());

        assertTrue(outbox.commitCount() - commitsBefore >= 3, "25 messages in batches of at most 10");
        assertEquals(0, outbox.counts().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void shouldDeleteOldFilesThatNoAttachmentNames() throws IOException {
        String stray = storeFileWithoutRow("left by an upload cut short");
        Attachment kept = fixture.saveAttachment(outbox, "a photo someone sent");
        outbox.accept(fixture.newMessage(ALICE, null, kept.id()), DeliveryState.QUEUED);
        String fresh = storeFileWithoutRow("an upload under way");
        age(stray);
        age(kept.sha256());
        fixture.clock.advance(Duration.ofHours(1));

        assertEquals(new HousekeepingTotals(0, 0, 1), housekeeper(Optional.empty(), 500).run());

        assertFalse(Files.exists(outbox.files().path(stray)));
        assertTrue(Files.exists(outbox.files().path(kept.sha256())));
        assertTrue(Files.exists(outbox.files().path(fresh)), "written after the cut-off");
    }

    @Test
    void shouldLeaveAnOldFileThatAnUploadUnderWayHolds() throws IOException {
        // The same bytes as a file left long ago, uploaded again: the upload found the file in place and holds it
        // until its row is saved, so the old modification time must not get it deleted under the upload.
        var stored = (AttachmentStore.Written.Stored) outbox.files().write(
                new ByteArrayInputStream("sent again".getBytes(StandardCharsets.UTF_8)), 1024);
        age(stored.sha256());
        fixture.clock.advance(Duration.ofHours(1));

        assertEquals(HousekeepingTotals.NONE, housekeeper(Optional.empty(), 500).run());

        assertTrue(Files.exists(outbox.files().path(stored.sha256())));
    }

    @Test
    void shouldRunAtStartThenEveryHourAndLogOnlyRunsThatDeletedSomething() throws IOException {
        Attachment first = fixture.saveAttachment(outbox, "first draft");
        fixture.clock.advance(ORPHAN_AGE.plusMinutes(1));

        Housekeeper housekeeper = Housekeeper.start(outbox, ORPHAN_AGE, Optional.empty(), fixture.clock, scheduler);
        try {
            scheduler.runDue();
            assertEquals(1, scheduler.pending(), "the run at start re-armed its timer");
            assertFalse(outbox.attachment(first.id()).isPresent(), "deleted at start");
            assertEquals(1, logLines.size(), logLines.toString());
            assertTrue(logLines.getFirst().startsWith("🧹 Housekeeping deleted 1 upload(s) no message used, 0"),
                    logLines.getFirst());

            Attachment second = fixture.saveAttachment(outbox, "second draft");
            fixture.clock.advance(Housekeeper.PERIOD);
            scheduler.runDue();
            assertTrue(outbox.attachment(second.id()).isPresent(), "an hour old is not old enough");
            assertEquals(1, logLines.size(), "a run that deleted nothing says nothing");

            fixture.clock.advance(ORPHAN_AGE);
            scheduler.runDue();
            assertFalse(outbox.attachment(second.id()).isPresent());
            assertEquals(2, logLines.size());
            assertEquals(new HousekeepingTotals(2, 0, 2), outbox.deletedByHousekeeping());
        } finally {
            housekeeper.close();
        }

        Attachment third = fixture.saveAttachment(outbox, "third draft");
        fixture.clock.advance(ORPHAN_AGE.plus(Housekeeper.PERIOD));
        scheduler.runDue();
        assertTrue(outbox.attachment(third.id()).isPresent(), "no run after close");
        assertEquals(0, scheduler.pending(), "and no timer armed for another");
    }

    private void deliver(Message message) {
        fixture.settle(outbox, fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null, null);
    }

    /** A file whose upload is over without a row: cut short, so nothing holds it any more. */
    private String storeFileWithoutRow(String content) throws IOException {
        var stored = (AttachmentStore.Written.Stored) outbox.files().write(
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), 1024);
        outbox.files().release(stored.sha256());
        return stored.sha256();
    }

    /** Files carry the real time they were written; the fake clock is set in 2025, so they are dated before it. */
    private void age(String sha256) throws IOException {
        Files.setLastModifiedTime(outbox.files().path(sha256),
                FileTime.from(StoreFixture.START.minus(Duration.ofDays(2))));
    }
}
