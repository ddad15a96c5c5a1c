package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;
import relay.domain.NewMessage;
import relay.store.AttachmentStore;
import relay.store.StorageException;
import relay.store.StorageFault;
import relay.store.StoreFixture;
import relay.store.sqlite.AttachmentFiles;
import relay.store.sqlite.Checkpointer;

class SqliteStoreTest {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";

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
    void shouldStoreAnAcceptedMessageAsQueued() {
        Message accepted = fixture.accept(outbox, ALICE, "hello");

        MessageStatus status = outbox.message(accepted.id()).orElseThrow();
        assertEquals(accepted, status.message());
        assertEquals(1, accepted.sequence());
        assertEquals(new Delivery(accepted.id(), DeliveryState.QUEUED, 0, null, null, fixture.clock.instant()),
                status.delivery());
    }

    @Test
    void shouldResolveTheAttachmentOfAnAcceptedMessage() throws IOException {
        Attachment attachment = fixture.saveAttachment(outbox, "minutes of the meeting");

        Message accepted = outbox.accept(fixture.newMessage(ALICE, null, attachment.id()), DeliveryState.QUEUED);

        assertEquals(attachment, accepted.attachment());
        assertEquals(MessageKind.DOCUMENT, outbox.message(accepted.id()).orElseThrow().message().kind());
        assertEquals(attachment, outbox.attachment(attachment.id()).orElseThrow());
    }

    @Test
    void shouldRefuseAnUnknownAttachmentAndKeepNothing() {
        NewMessage message = fixture.newMessage(ALICE, null, "att_missing");

        assertThrows(IllegalArgumentException.class, () -> outbox.accept(message, DeliveryState.QUEUED));

        assertTrue(outbox.message(message.id()).isEmpty());
        assertEquals(1, fixture.accept(outbox, ALICE, "next").sequence(), "the refused message used no sequence");
    }

    @Test
    void shouldRefuseAnAttachmentWhoseFileIsMissingAsAStorageFault() {
        Attachment attachment = new Attachment("att_1", MessageKind.IMAGE, "cat.png", "image/png", 10,
                "0".repeat(64), fixture.clock.instant());

        StorageException refused = assertThrows(StorageException.class, () -> outbox.saveAttachment(attachment));

        assertEquals(StorageFault.UNREACHABLE, refused.fault());
        assertFalse(refused.getMessage().contains("/"), "no path: " + refused.getMessage());

        assertTrue(outbox.attachment("att_1").isEmpty());
    }

    @Test
    void shouldRefuseATakenMessageId() {
        Message first = fixture.accept(outbox, ALICE, "hello");

        assertThrows(IllegalArgumentException.class,
                () -> accept(new NewMessage(first.id(), BOB, "again", null, fixture.clock.instant())));

        assertEquals(ALICE, outbox.message(first.id()).orElseThrow().message().phone());
    }

    @Test
    void shouldKeepEverythingAcrossCloseAndReopen() throws IOException {
        Message message = fixture.accept(outbox, ALICE, "survives");
        outbox.recordAttempt(fixture.failedAttempt(message.id(), 1, 503), DeliveryState.RETRYING,
                fixture.clock.instant().plusSeconds(30), "HTTP 503");
        MessageStatus before = outbox.message(message.id()).orElseThrow();
        List<Attempt> attemptsBefore = outbox.attempts(message.id());

        outbox.close();
        outbox = SqliteStore.open(dataDir, fixture.clock);

        assertEquals(before, outbox.message(message.id()).orElseThrow());
        assertEquals(attemptsBefore, outbox.attempts(message.id()));
        assertEquals(2, fixture.accept(outbox, ALICE, "after restart").sequence());
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
    void shouldListUnfinishedDeliveriesOldestFirst() {
        Instant t = StoreFixture.START;
        // Accepted in another order than created, to show the order comes from created_at.
        Message held = accept(new NewMessage("msg_held", ALICE, "x", null, t.plusSeconds(4)));
        Message queued = accept(new NewMessage("msg_queued", ALICE, "x", null, t.plusSeconds(1)));
        Message delivered = accept(new NewMessage("msg_delivered", ALICE, "x", null, t.plusSeconds(2)));
        Message sending = accept(new NewMessage("msg_sending", BOB, "x", null, t.plusSeconds(3)));
        Message failed = accept(new NewMessage("msg_failed", BOB, "x", null, t.plusSeconds(5)));
        Message retrying = accept(new NewMessage("msg_retrying", BOB, "x", null, t.plusSeconds(6)));
        Message sameTime = accept(new NewMessage("msg_a_same_time", BOB, "x", null, t.plusSeconds(6)));
        outbox.markHeld(List.of(held.id()));
        outbox.markSending(sending.id());
        outbox.recordAttempt(fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);
        outbox.recordAttempt(fixture.failedAttempt(failed.id(), 1, 500), DeliveryState.FAILED, null, "HTTP 500");
        outbox.recordAttempt(fixture.failedAttempt(retrying.id(), 1, 500), DeliveryState.RETRYING,
                t.plusSeconds(60), "HTTP 500");

        List<Delivery> unfinished = outbox.unfinished();

        assertEquals(List.of(queued.id(), sending.id(), held.id(), sameTime.id(), retrying.id()),
                unfinished.stream().map(Delivery::messageId).toList());
        assertEquals(List.of(DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.HELD, DeliveryState.QUEUED,
                DeliveryState.RETRYING), unfinished.stream().map(Delivery::state).toList());
        assertEquals(t.plusSeconds(60), unfinished.get(4).nextAttemptAt());
    }

    @Test
    void shouldRecordAttemptsAndMoveTheDeliveryOn() {
        Message message = fixture.accept(outbox, ALICE, "hello");
        Instant retryAt = fixture.clock.instant().plusSeconds(2);

        outbox.markSending(message.id());
        Attempt first = fixture.failedAttempt(message.id(), 1, 502);
        outbox.recordAttempt(first, DeliveryState.RETRYING, retryAt, "HTTP 502");
        Delivery retrying = outbox.delivery(message.id()).orElseThrow();
        outbox.markSending(message.id());
        Attempt second = fixture.successfulAttempt(message.id(), 2);
        outbox.recordAttempt(second, DeliveryState.DELIVERED, null, null);

        assertEquals(new Delivery(message.id(), DeliveryState.RETRYING, 1, retryAt, "HTTP 502",
                fixture.clock.instant().minusSeconds(1)), retrying);
        assertEquals(new Delivery(message.id(), DeliveryState.DELIVERED, 2, null, null, fixture.clock.instant()),
                outbox.delivery(message.id()).orElseThrow());
        assertEquals(List.of(first, second), outbox.attempts(message.id()));
        assertFalse(first.success());
        assertTrue(second.success());
    }

    @Test
    void shouldRefuseStateChangesForAnUnknownMessage() {
        assertThrows(IllegalArgumentException.class, () -> outbox.markSending("msg_nope"));
        assertThrows(IllegalArgumentException.class, () -> outbox.recordAttempt(
                fixture.failedAttempt("msg_nope", 1, 500), DeliveryState.FAILED, null, "HTTP 500"));

        assertEquals(List.of(), outbox.attempts("msg_nope"));
        assertEquals(0, outbox.stats().attempts());
    }

    @Test
    void shouldHoldAndReleaseWithoutTouchingTheAttemptCount() {
        Message message = fixture.accept(outbox, ALICE, "hello");
        outbox.recordAttempt(fixture.failedAttempt(message.id(), 1, 500), DeliveryState.RETRYING,
                fixture.clock.instant().plusSeconds(5), "HTTP 500");

        outbox.markHeld(List.of(message.id()));
        Delivery held = outbox.delivery(message.id()).orElseThrow();
        outbox.markQueued(List.of(message.id()));

        assertEquals(DeliveryState.HELD, held.state());
        assertEquals(1, held.attempts());
        Delivery queued = outbox.delivery(message.id()).orElseThrow();
        assertEquals(DeliveryState.QUEUED, queued.state());
        assertEquals(1, queued.attempts());
    }

    @Test
    void shouldLeaveAFinishedDeliveryAsItIsWhenHoldingIt() {
        Message delivered = fixture.accept(outbox, ALICE, "delivered");
        Message failed = fixture.accept(outbox, ALICE, "failed");
        Message queued = fixture.accept(outbox, ALICE, "queued");
        outbox.recordAttempt(fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);
        outbox.recordAttempt(fixture.failedAttempt(failed.id(), 1, 400), DeliveryState.FAILED, null, "HTTP 400");

        outbox.markHeld(List.of(delivered.id(), failed.id(), queued.id()));

        assertEquals(DeliveryState.DELIVERED, outbox.delivery(delivered.id()).orElseThrow().state());
        assertEquals(DeliveryState.FAILED, outbox.delivery(failed.id()).orElseThrow().state());
        assertEquals(DeliveryState.HELD, outbox.delivery(queued.id()).orElseThrow().state());
    }

    @Test
    void shouldReleaseOnlyHeldDeliveries() {
        Message held = fixture.accept(outbox, ALICE, "held");
        Message sending = fixture.accept(outbox, ALICE, "sending");
        Message delivered = fixture.accept(outbox, ALICE, "delivered");
        outbox.markHeld(List.of(held.id()));
        outbox.markSending(sending.id());
        outbox.recordAttempt(fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);

        outbox.markQueued(List.of(held.id(), sending.id(), delivered.id()));

        assertEquals(DeliveryState.QUEUED, outbox.delivery(held.id()).orElseThrow().state());
        assertEquals(DeliveryState.SENDING, outbox.delivery(sending.id()).orElseThrow().state());
        assertEquals(DeliveryState.DELIVERED, outbox.delivery(delivered.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueAFailedMessageKeepingItsHistory() {
        Message message = fixture.accept(outbox, ALICE, "hello");
        Attempt first = fixture.failedAttempt(message.id(), 1, 500);
        Attempt second = fixture.failedAttempt(message.id(), 2, 500);
        outbox.recordAttempt(first, DeliveryState.RETRYING, fixture.clock.instant(), "HTTP 500");
        outbox.recordAttempt(second, DeliveryState.FAILED, null, "HTTP 500");

        assertTrue(outbox.requeue(message.id(), false));
        Delivery requeued = outbox.delivery(message.id()).orElseThrow();
        Attempt again = fixture.successfulAttempt(message.id(), 1);
        outbox.recordAttempt(again, DeliveryState.DELIVERED, null, null);

        assertEquals(new Delivery(message.id(), DeliveryState.QUEUED, 0, null, null, second.startedAt()), requeued);
        assertEquals(List.of(first, second, again), outbox.attempts(message.id()));
        assertEquals(1, outbox.delivery(message.id()).orElseThrow().attempts());
    }

    @Test
    void shouldRequeueADeliveredMessageOnlyWhenForced() {
        Message message = fixture.accept(outbox, ALICE, "hello");
        outbox.recordAttempt(fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null, null);

        assertFalse(outbox.requeue(message.id(), false));
        assertEquals(DeliveryState.DELIVERED, outbox.delivery(message.id()).orElseThrow().state());
        assertTrue(outbox.requeue(message.id(), true));
        assertEquals(DeliveryState.QUEUED, outbox.delivery(message.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueHeldButNotInFlightOrUnknownMessages() {
        Message held = fixture.accept(outbox, ALICE, "held");
        Message queued = fixture.accept(outbox, ALICE, "queued");
        Message sending = fixture.accept(outbox, ALICE, "sending");
        outbox.markHeld(List.of(held.id()));
        outbox.markSending(sending.id());

        assertTrue(outbox.requeue(held.id(), false));
        assertFalse(outbox.requeue(queued.id(), true));
        assertFalse(outbox.requeue(sending.id(), true));
        assertFalse(outbox.requeue("msg_nope", true));
        assertEquals(DeliveryState.SENDING, outbox.delivery(sending.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueEveryFailedMessageOldestFirst() {
        Message newer = accept(new NewMessage("msg_newer", ALICE, "x", null, StoreFixture.START.plusSeconds(9)));
        Message older = accept(new NewMessage("msg_older", BOB, "x", null, StoreFixture.START.plusSeconds(1)));
        Message delivered = fixture.accept(outbox, ALICE, "fine");
        for (Message message : List.of(newer, older)) {
            outbox.recordAttempt(fixture.failedAttempt(message.id(), 1, 500), DeliveryState.FAILED, null, "HTTP 500");
        }
        outbox.recordAttempt(fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(List.of(older.id(), newer.id()), outbox.requeueAllFailed());

        assertEquals(0, outbox.counts().get(DeliveryState.FAILED));
        assertEquals(2, outbox.counts().get(DeliveryState.QUEUED));
        assertEquals(0, outbox.delivery(older.id()).orElseThrow().attempts());
        assertEquals(List.of(), outbox.requeueAllFailed());
    }

    @Test
    void shouldPageThroughAConversationNewestPageFirst() {
        List<Message> alice = new java.util.ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            alice.add(fixture.accept(outbox, ALICE, "a" + i));
            fixture.accept(outbox, BOB, "b" + i);
        }

        List<MessageStatus> newest = outbox.conversation(ALICE, 2, null);
        List<MessageStatus> older = outbox.conversation(ALICE, 2, newest.getFirst().message().id());
        List<MessageStatus> oldest = outbox.conversation(ALICE, 2, older.getFirst().message().id());

        assertEquals(List.of("a4", "a5"), texts(newest));
        assertEquals(List.of("a2", "a3"), texts(older));
        assertEquals(List.of("a1"), texts(oldest));
        assertEquals(List.of(), outbox.conversation(ALICE, 2, alice.getFirst().id()));
        assertEquals(5, outbox.conversation(ALICE, 50, null).size());
        assertEquals(List.of(), outbox.conversation(BOB, 2, alice.get(3).id()), "before must be of the same phone");
        assertEquals(List.of(), outbox.conversation("+5511000000000", 2, null));
        assertThrows(IllegalArgumentException.class, () -> outbox.conversation(ALICE, 0, null));
    }

    @Test
    void shouldListConversationsByTheirNewestMessage() {
        Message aliceFirst = fixture.accept(outbox, ALICE, "a1");
        fixture.accept(outbox, BOB, "b1");
        Message aliceLast = fixture.accept(outbox, ALICE, "a2");
        outbox.recordAttempt(fixture.successfulAttempt(aliceFirst.id(), 1), DeliveryState.DELIVERED, null, null);
        Message bobLast = fixture.accept(outbox, BOB, "b2");

        List<Conversation> conversations = outbox.conversations(50, null);

        assertEquals(List.of(BOB, ALICE), conversations.stream().map(Conversation::phone).toList());
        Conversation bob = conversations.get(0);
        Conversation alice = conversations.get(1);
        assertEquals(bobLast, bob.last().message());
        assertEquals(aliceLast, alice.last().message());
        assertEquals(2, alice.total());
        assertEquals(summary(1, 0, 0, 0, 1, 0), alice.summary());
        assertEquals(summary(2, 0, 0, 0, 0, 0), bob.summary());
    }

    @Test
    void shouldCountEveryStateIncludingZeros() {
        Message sent = fixture.accept(outbox, ALICE, "sent");
        fixture.accept(outbox, ALICE, "waiting");
        outbox.recordAttempt(fixture.successfulAttempt(sent.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(summary(1, 0, 0, 0, 1, 0), outbox.counts());
    }

    @Test
    void shouldSummariseAttemptsAndListRecentFailuresNewestFirst() {
        assertEquals(new AttemptStats(0, 0, 0, null, null), outbox.stats());
        Message message = fixture.accept(outbox, ALICE, "hello");
        Attempt timeout = new Attempt(message.id(), 1, fixture.clock.advance(Duration.ofSeconds(1)), 5000, null,
                "timed out after 5 s", null);
        Attempt serverError = fixture.failedAttempt(message.id(), 2, 500);
        Attempt success = fixture.successfulAttempt(message.id(), 3);
        Attempt redirect = new Attempt(message.id(), 4, fixture.clock.advance(Duration.ofSeconds(1)), 10, 302,
                null, null);
        for (Attempt attempt : List.of(timeout, serverError, success, redirect)) {
            outbox.recordAttempt(attempt, DeliveryState.RETRYING, null, attempt.error());
        }

        assertEquals(new AttemptStats(4, 1, 3, success.startedAt(), redirect.startedAt()), outbox.stats());
        assertEquals(List.of(redirect, serverError), outbox.recentFailures(2));
        assertEquals(List.of(redirect, serverError, timeout), outbox.recentFailures(10));
    }

    @Test
    void shouldDiscardOnlyFilesNoAttachmentRefersTo() throws IOException {
        Attachment kept = fixture.saveAttachment(outbox, "referenced");
        var rejected = (AttachmentStore.Written.Stored) outbox.files().write(
                new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}), 100);

        assertFalse(outbox.discardUnreferencedFile(kept.sha256()));
        assertTrue(outbox.discardUnreferencedFile(rejected.sha256()));

        assertTrue(Files.exists(outbox.files().path(kept.sha256())));
        assertFalse(Files.exists(outbox.files().path(rejected.sha256())));
    }

    @Test
    void shouldAnswerHealthChecksUntilClosed() {
        assertTrue(outbox.isReachable());

        outbox.close();

        assertFalse(outbox.isReachable());
        assertThrows(IllegalStateException.class, () -> fixture.accept(outbox, ALICE, "too late"));
        assertThrows(IllegalStateException.class, () -> outbox.counts());
    }

    @Test
    void shouldKeepInstantsToTheMillisecond() {
        Instant precise = Instant.parse("2025-03-01T10:00:00.123456789Z");

        Message message = accept(new NewMessage("msg_precise", ALICE, "x", null, precise));

        assertEquals(Instant.parse("2025-03-01T10:00:00.123Z"), message.createdAt());
        assertEquals(message, outbox.message("msg_precise").orElseThrow().message());
        assertNull(outbox.delivery("msg_precise").orElseThrow().nextAttemptAt());
    }

    private Message accept(NewMessage message) {
        return outbox.accept(message, DeliveryState.QUEUED);
    }

    private static List<String> texts(List<MessageStatus> page) {
        return page.stream().map(status -> status.message().text()).toList();
    }

    private static Map<DeliveryState, Long> summary(long queued, long sending, long retrying, long held,
                                                    long delivered, long failed) {
        return Map.of(DeliveryState.QUEUED, queued, DeliveryState.SENDING, sending, DeliveryState.RETRYING, retrying,
                DeliveryState.HELD, held, DeliveryState.DELIVERED, delivered, DeliveryState.FAILED, failed);
    }
}
