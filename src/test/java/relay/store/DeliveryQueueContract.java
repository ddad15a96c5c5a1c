package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageStatus;
import relay.domain.NewMessage;
import relay.domain.Ordering;
import relay.testing.Await;
import relay.testing.Seed;

/** What every backend's {@link DeliveryQueue} promises; a backend's test subclasses this and says how it opens. */
public abstract class DeliveryQueueContract extends StoreContract {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";
    private static final String CAROL = "+5511999990003";
    private static final String OWNER = "engine-1";
    private static final Duration LEASE = Duration.ofSeconds(30);

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    @Test
    void shouldStoreAnAcceptedMessageAsQueued() {
        Message accepted = fixture.accept(queue, ALICE, "hello");

        MessageStatus status = reads.message(accepted.id()).orElseThrow();
        assertEquals(accepted, status.message());
        assertEquals(1, accepted.sequence());
        assertEquals(new Delivery(accepted.id(), DeliveryState.QUEUED, 0, null, null, fixture.clock.instant()),
                status.delivery());
    }

    @Test
    void shouldStoreANewDeliveryAsHeldWhenAskedAndRefuseOtherStates() {
        Message held = queue.accept(fixture.newMessage(ALICE, "while the circuit is open", null), DeliveryState.HELD);
        NewMessage sending = fixture.newMessage(ALICE, "never stored", null);

        assertEquals(DeliveryState.HELD, queue.delivery(held.id()).orElseThrow().state());
        assertThrows(IllegalArgumentException.class, () -> queue.accept(sending, DeliveryState.SENDING));
        assertTrue(reads.message(sending.id()).isEmpty());
    }

    @Test
    void shouldGiveEachPhoneGapFreeSequencesUnderConcurrentAccepts() throws Exception {
        List<String> phones = List.of(ALICE, BOB, "+5511999990003", "+5511999990004");
        List<NewMessage> messages = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            messages.add(fixture.newMessage(phones.get(i % phones.size()), "hello " + i, null));
        }

        List<Message> accepted = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Message>> accepts = messages.stream()
                    .map(message -> threads.submit(() -> queue.accept(message, DeliveryState.QUEUED)))
                    .toList();
            for (Future<Message> accept : accepts) {
                accepted.add(accept.get(Await.DEADLINE.toSeconds(), TimeUnit.SECONDS));
            }
        }

        Map<String, List<Long>> sequences = accepted.stream().collect(Collectors.groupingBy(Message::phone,
                Collectors.mapping(Message::sequence, Collectors.toList())));
        for (String phone : phones) {
            List<Long> stored = reads.conversation(phone, 100, null).stream()
                    .map(status -> status.message().sequence())
                    .toList();
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L,
                    19L, 20L, 21L, 22L, 23L, 24L, 25L), stored);
            assertEquals(stored, sequences.get(phone).stream().sorted(Comparator.naturalOrder()).toList());
        }
    }

    @Test
    void shouldRefuseAnUnknownAttachmentAndKeepNothing() {
        NewMessage message = fixture.newMessage(ALICE, null, "att_missing");

        assertThrows(IllegalArgumentException.class, () -> queue.accept(message, DeliveryState.QUEUED));

        assertTrue(reads.message(message.id()).isEmpty());
        assertEquals(1, fixture.accept(queue, ALICE, "next").sequence(), "the refused message used no sequence");
    }

    @Test
    void shouldRefuseATakenMessageId() {
        Message first = fixture.accept(queue, ALICE, "hello");

        assertThrows(IllegalArgumentException.class,
                () -> accept(new NewMessage(first.id(), BOB, "again", null, fixture.clock.instant())));

        assertEquals(ALICE, reads.message(first.id()).orElseThrow().message().phone());
    }

    @Test
    void shouldKeepEverythingAcrossCloseAndReopen() throws Exception {
        Message message = fixture.accept(queue, ALICE, "survives");
        fixture.settle(queue, fixture.failedAttempt(message.id(), 1, 503), DeliveryState.RETRYING,
                fixture.clock.instant().plusSeconds(30), "HTTP 503");
        MessageStatus before = reads.message(message.id()).orElseThrow();
        List<Attempt> attemptsBefore = reads.attempts(message.id());

        reopen();

        assertEquals(before, reads.message(message.id()).orElseThrow());
        assertEquals(attemptsBefore, reads.attempts(message.id()));
        assertEquals(2, fixture.accept(queue, ALICE, "after restart").sequence());
    }

    @Test
    void shouldRecordAttemptsAndMoveTheDeliveryOn() {
        Message message = fixture.accept(queue, ALICE, "hello");
        Instant retryAt = fixture.clock.instant().plusSeconds(2);

        Attempt first = fixture.failedAttempt(message.id(), 1, 502);
        fixture.settle(queue, first, DeliveryState.RETRYING, retryAt, "HTTP 502");
        Delivery retrying = queue.delivery(message.id()).orElseThrow();
        Attempt second = fixture.successfulAttempt(message.id(), 2);
        fixture.settle(queue, second, DeliveryState.DELIVERED, null, null);

        assertEquals(new Delivery(message.id(), DeliveryState.RETRYING, 1, retryAt, "HTTP 502",
                fixture.clock.instant().minusSeconds(1)), retrying);
        assertEquals(new Delivery(message.id(), DeliveryState.DELIVERED, 2, null, null, fixture.clock.instant()),
                queue.delivery(message.id()).orElseThrow());
        assertEquals(List.of(first, second), reads.attempts(message.id()));
        assertFalse(first.success());
        assertTrue(second.success());
    }

    @Test
    void shouldRefuseStateChangesForAnUnknownMessage() {
        Instant now = fixture.clock.instant();
        Claim forged = new Claim(new MessageStatus(new Message("msg_nope", ALICE, 1, "x", null, now),
                new Delivery("msg_nope", DeliveryState.SENDING, 0, null, null, now)), OWNER, "token", now);

        assertFalse(queue.complete(forged, fixture.failedAttempt("msg_nope", 1, 500), DeliveryState.FAILED, null,
                "HTTP 500"));
        assertFalse(queue.renew(forged, now, LEASE));
        assertFalse(queue.reschedule(forged, now));
        assertFalse(queue.skip("msg_nope"));
        assertEquals(List.of(), reads.attempts("msg_nope"));
        assertEquals(0, reads.stats().attempts());
    }

    @Test
    void shouldHoldAndReleaseWithoutTouchingTheAttemptCount() {
        Message message = fixture.accept(queue, ALICE, "hello");
        Instant retryAt = fixture.clock.instant().plusSeconds(5);
        fixture.settle(queue, fixture.failedAttempt(message.id(), 1, 500), DeliveryState.RETRYING, retryAt,
                "HTTP 500");

        assertEquals(List.of(message.id()), queue.hold(retryAt));
        Delivery held = queue.delivery(message.id()).orElseThrow();
        assertEquals(List.of(message.id()), queue.release(retryAt));

        assertEquals(DeliveryState.HELD, held.state());
        assertEquals(1, held.attempts());
        Delivery queued = queue.delivery(message.id()).orElseThrow();
        assertEquals(DeliveryState.QUEUED, queued.state());
        assertEquals(1, queued.attempts());
    }

    @Test
    void shouldLeaveAFinishedDeliveryAsItIsWhenHoldingIt() {
        Message delivered = fixture.accept(queue, ALICE, "delivered");
        Message failed = fixture.accept(queue, ALICE, "failed");
        Message queued = fixture.accept(queue, ALICE, "queued");
        fixture.settle(queue, fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);
        fixture.settle(queue, fixture.failedAttempt(failed.id(), 1, 400), DeliveryState.FAILED, null, "HTTP 400");

        assertEquals(List.of(queued.id()), queue.hold(fixture.clock.instant()));

        assertEquals(DeliveryState.DELIVERED, queue.delivery(delivered.id()).orElseThrow().state());
        assertEquals(DeliveryState.FAILED, queue.delivery(failed.id()).orElseThrow().state());
        assertEquals(DeliveryState.HELD, queue.delivery(queued.id()).orElseThrow().state());
    }

    @Test
    void shouldReleaseOnlyHeldDeliveries() {
        Message held = fixture.accept(queue, ALICE, "held");
        queue.hold(fixture.clock.instant());
        Message sending = fixture.accept(queue, ALICE, "sending");
        fixture.claim(queue, sending.id());
        Message delivered = fixture.accept(queue, ALICE, "delivered");
        fixture.settle(queue, fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(List.of(held.id()), queue.release(fixture.clock.instant()));

        assertEquals(DeliveryState.QUEUED, queue.delivery(held.id()).orElseThrow().state());
        assertEquals(DeliveryState.SENDING, queue.delivery(sending.id()).orElseThrow().state());
        assertEquals(DeliveryState.DELIVERED, queue.delivery(delivered.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueAFailedMessageKeepingItsHistory() {
        Message message = fixture.accept(queue, ALICE, "hello");
        Attempt first = fixture.failedAttempt(message.id(), 1, 500);
        fixture.settle(queue, first, DeliveryState.RETRYING, fixture.clock.instant(), "HTTP 500");
        Attempt second = fixture.failedAttempt(message.id(), 2, 500);
        fixture.settle(queue, second, DeliveryState.FAILED, null, "HTTP 500");

        assertTrue(queue.requeue(message.id(), false));
        Delivery requeued = queue.delivery(message.id()).orElseThrow();
        Attempt again = fixture.successfulAttempt(message.id(), 1);
        fixture.settle(queue, again, DeliveryState.DELIVERED, null, null);

        assertEquals(new Delivery(message.id(), DeliveryState.QUEUED, 0, null, null, second.startedAt()), requeued);
        assertEquals(List.of(first, second, again), reads.attempts(message.id()));
        assertEquals(1, queue.delivery(message.id()).orElseThrow().attempts());
    }

    @Test
    void shouldRequeueADeliveredMessageOnlyWhenForced() {
        Message message = fixture.accept(queue, ALICE, "hello");
        fixture.settle(queue, fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null, null);

        assertFalse(queue.requeue(message.id(), false));
        assertEquals(DeliveryState.DELIVERED, queue.delivery(message.id()).orElseThrow().state());
        assertTrue(queue.requeue(message.id(), true));
        assertEquals(DeliveryState.QUEUED, queue.delivery(message.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueHeldButNotInFlightOrUnknownMessages() {
        Message held = fixture.accept(queue, ALICE, "held");
        queue.hold(fixture.clock.instant());
        Message sending = fixture.accept(queue, ALICE, "sending");
        fixture.claim(queue, sending.id());
        Message queued = fixture.accept(queue, ALICE, "queued");

        assertTrue(queue.requeue(held.id(), false));
        assertFalse(queue.requeue(queued.id(), true));
        assertFalse(queue.requeue(sending.id(), true));
        assertFalse(queue.requeue("msg_nope", true));
        assertEquals(DeliveryState.SENDING, queue.delivery(sending.id()).orElseThrow().state());
    }

    @Test
    void shouldRequeueEveryFailedMessageOldestFirst() {
        Message newer = accept(new NewMessage("msg_newer", ALICE, "x", null, StoreFixture.START.plusSeconds(9)));
        Message older = accept(new NewMessage("msg_older", BOB, "x", null, StoreFixture.START.plusSeconds(1)));
        Message delivered = fixture.accept(queue, ALICE, "fine");
        for (Message message : List.of(newer, older)) {
            fixture.settle(queue, fixture.failedAttempt(message.id(), 1, 500), DeliveryState.FAILED, null,
                    "HTTP 500");
        }
        fixture.settle(queue, fixture.successfulAttempt(delivered.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(List.of(older.id(), newer.id()), queue.requeueAllFailed());

        assertEquals(0, reads.counts().get(DeliveryState.FAILED));
        assertEquals(2, reads.counts().get(DeliveryState.QUEUED));
        assertEquals(0, queue.delivery(older.id()).orElseThrow().attempts());
        assertEquals(List.of(), queue.requeueAllFailed());
    }

    @Test
    void shouldKeepInstantsToTheMillisecond() {
        Instant precise = Instant.parse("2025-03-01T10:00:00.123456789Z");

        Message message = accept(new NewMessage("msg_precise", ALICE, "x", null, precise));

        assertEquals(Instant.parse("2025-03-01T10:00:00.123Z"), message.createdAt());
        assertEquals(message, reads.message("msg_precise").orElseThrow().message());
        assertNull(queue.delivery("msg_precise").orElseThrow().nextAttemptAt());
    }

    // ---- the queue: claims, leases, fencing, the head of each conversation

    @Test
    void shouldClaimDueDeliveriesInTheOrderTheyWereQueuedEachWithItsOwnTokenAndLease() {
        Message first = fixture.accept(queue, ALICE, "one");
        Message second = fixture.accept(queue, BOB, "two");
        Message third = fixture.accept(queue, CAROL, "three");
        Instant now = fixture.clock.instant();

        List<Claim> claims = queue.claim(now, 2, OWNER, LEASE, Ordering.CONVERSATION);

        assertEquals(List.of(first.id(), second.id()), ids(claims));
        assertEquals(first, claims.getFirst().status().message());
        for (Claim claim : claims) {
            assertEquals(DeliveryState.SENDING, claim.status().delivery().state());
            assertEquals(DeliveryState.SENDING, queue.delivery(claim.messageId()).orElseThrow().state());
            assertEquals(now.plus(LEASE), claim.leaseUntil());
            assertEquals(OWNER, claim.owner());
        }
        assertNotEquals(claims.get(0).token(), claims.get(1).token());
        assertEquals(DeliveryState.QUEUED, queue.delivery(third.id()).orElseThrow().state());
        assertEquals(List.of(third.id()), ids(queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION)));
        assertEquals(List.of(), queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION));
    }

    @Test
    void shouldClaimARetryOnlyOnceItIsDue() {
        Message message = fixture.accept(queue, ALICE, "hello");
        Claim claim = claimOne(Ordering.CONVERSATION);
        Instant retryAt = fixture.clock.instant().plusSeconds(10);
        assertTrue(queue.complete(claim, fixture.failedAttempt(message.id(), 1, 503), DeliveryState.RETRYING,
                retryAt, "HTTP 503"));

        assertEquals(List.of(), queue.claim(retryAt.minusMillis(1), 10, OWNER, LEASE, Ordering.CONVERSATION));
        assertEquals(Optional.of(retryAt), queue.nextDue(retryAt.minusMillis(1), Ordering.CONVERSATION));
        List<Claim> again = queue.claim(retryAt, 10, OWNER, LEASE, Ordering.CONVERSATION);

        assertEquals(List.of(message.id()), ids(again));
        assertEquals(1, again.getFirst().status().delivery().attempts());
        assertEquals(Optional.of(retryAt.plus(LEASE)), queue.nextDue(retryAt, Ordering.CONVERSATION),
                "due again when its lease runs out");
    }

    @Test
    void shouldClaimOnlyTheHeadOfEachConversationUntilItIsDelivered() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Message bob1 = fixture.accept(queue, BOB, "b1");
        Instant now = fixture.clock.instant();

        List<Claim> heads = queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION);

        assertEquals(List.of(alice1.id(), bob1.id()), ids(heads));
        assertEquals(List.of(), queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION), "alice2 waits");
        assertEquals(List.of(), queue.claim(now, 10, OWNER, LEASE, Ordering.STRICT), "also under strict");
        assertEquals(alice1.id(), reads.head(ALICE, Ordering.CONVERSATION).orElseThrow().messageId());
        assertEquals(Map.of(DeliveryState.QUEUED, 1L), reads.waiting(Ordering.CONVERSATION));
        assertTrue(queue.complete(heads.getFirst(), fixture.successfulAttempt(alice1.id(), 1),
                DeliveryState.DELIVERED, null, null));
        assertEquals(List.of(alice2.id()), ids(queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION)));
        assertEquals(Map.of(), reads.waiting(Ordering.CONVERSATION));
    }

    @Test
    void shouldCountAsWaitingEveryUnfinishedDeliveryButTheHeadOfItsConversation() {
        Random random = seed.random();
        List<String> phones = List.of(ALICE, BOB, CAROL);
        for (int step = 0; step < 120; step++) {
            switch (random.nextInt(6)) {
                case 0, 1 -> fixture.accept(queue, phones.get(random.nextInt(phones.size())), "m" + step);
                case 2 -> queue.hold(fixture.clock.instant());
                case 3 -> queue.release(fixture.clock.instant());
                default -> finishSome(random);
            }
            fixture.clock.advance(Duration.ofMillis(10));
            for (Ordering ordering : List.of(Ordering.CONVERSATION, Ordering.STRICT)) {
                assertEquals(waitingOneByOne(phones, ordering), reads.waiting(ordering), ordering + " after " + step);
            }
        }
    }

    /** Claims a few due deliveries in any order and ends each one way or another, to leave every state about. */
    private void finishSome(Random random) {
        for (Claim claim : queue.claim(fixture.clock.instant(), 1 + random.nextInt(3), OWNER, LEASE, Ordering.NONE)) {
            int number = queue.delivery(claim.messageId()).orElseThrow().attempts() + 1;
            switch (random.nextInt(5)) {
                case 0 -> queue.complete(claim, fixture.successfulAttempt(claim.messageId(), number),
                        DeliveryState.DELIVERED, null, null);
                case 1 -> queue.complete(claim, fixture.failedAttempt(claim.messageId(), number, 422),
                        DeliveryState.FAILED, null, "HTTP 422");
                case 2 -> queue.complete(claim, fixture.failedAttempt(claim.messageId(), number, 503),
                        DeliveryState.RETRYING, fixture.clock.instant(), "HTTP 503");
                case 3 -> queue.skip(claim.messageId());
                default -> {
                    // left being sent
                }
            }
        }
    }

    /** The same count the slow way: each phone's unfinished deliveries, less its head. */
    private Map<DeliveryState, Long> waitingOneByOne(List<String> phones, Ordering ordering) {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        for (String phone : phones) {
            Optional<Delivery> head = reads.head(phone, ordering);
            for (MessageStatus status : reads.conversation(phone, 1_000, null)) {
                Delivery d = status.delivery();
                boolean waitable = d.state() == DeliveryState.QUEUED || d.state() == DeliveryState.RETRYING
                        || d.state() == DeliveryState.HELD;
                if (waitable && head.isPresent() && !head.get().messageId().equals(d.messageId())) {
                    counts.merge(d.state(), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    @Test
    void shouldClaimEveryDueDeliveryWithoutOrdering() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Message alice3 = fixture.accept(queue, ALICE, "a3");

        List<Claim> claims = queue.claim(fixture.clock.instant(), 10, OWNER, LEASE, Ordering.NONE);

        assertEquals(List.of(alice1.id(), alice2.id(), alice3.id()), ids(claims));
        assertEquals(Optional.empty(), reads.head(ALICE, Ordering.NONE));
        assertEquals(Map.of(), reads.waiting(Ordering.NONE));
    }

    @Test
    void shouldLetAConversationPassAFailedHeadExceptUnderStrict() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Claim head = claimOne(Ordering.STRICT);
        queue.complete(head, fixture.failedAttempt(alice1.id(), 1, 422), DeliveryState.FAILED, null, "HTTP 422");
        Instant now = fixture.clock.instant();

        assertEquals(List.of(), queue.claim(now, 10, OWNER, LEASE, Ordering.STRICT));
        assertEquals(Optional.empty(), queue.nextDue(now.minusSeconds(60), Ordering.STRICT), "nothing to wake for");
        Delivery blocking = reads.head(ALICE, Ordering.STRICT).orElseThrow();
        assertEquals(alice1.id(), blocking.messageId());
        assertEquals(DeliveryState.FAILED, blocking.state());
        assertEquals(Map.of(DeliveryState.QUEUED, 1L), reads.waiting(Ordering.STRICT));
        assertEquals(alice2.id(), reads.head(ALICE, Ordering.CONVERSATION).orElseThrow().messageId());
        assertEquals(Map.of(), reads.waiting(Ordering.CONVERSATION));
        assertEquals(List.of(alice2.id()), ids(queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION)));
    }

    @Test
    void shouldReleaseAStrictConversationWhenItsFailedHeadIsSkipped() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        queue.complete(claimOne(Ordering.STRICT), fixture.failedAttempt(alice1.id(), 1, 422), DeliveryState.FAILED,
                null, "HTTP 422");

        assertTrue(queue.skip(alice1.id()));

        Delivery skipped = queue.delivery(alice1.id()).orElseThrow();
        assertEquals(DeliveryState.FAILED, skipped.state());
        assertEquals("skipped by the operator (HTTP 422)", skipped.lastError());
        assertEquals(List.of(alice2.id()), ids(queue.claim(fixture.clock.instant(), 10, OWNER, LEASE,
                Ordering.STRICT)));
        assertFalse(queue.skip(alice1.id()), "skipped already");
        assertFalse(queue.skip(alice2.id()), "being sent");
        assertFalse(queue.skip("msg_nope"));
    }

    @Test
    void shouldSkipAWaitingDeliverySoThatItIsNeverClaimed() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Claim head = claimOne(Ordering.CONVERSATION);

        assertTrue(queue.skip(alice2.id()));
        queue.complete(head, fixture.successfulAttempt(alice1.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(List.of(), queue.claim(fixture.clock.instant(), 10, OWNER, LEASE, Ordering.NONE));
        assertEquals("skipped by the operator", queue.delivery(alice2.id()).orElseThrow().lastError());
        assertFalse(queue.skip(alice1.id()), "delivered");
    }

    @Test
    void shouldTakeBackADeliveryWhoseLeaseRanOutAndFenceTheOldClaim() {
        Message message = fixture.accept(queue, ALICE, "hello");
        Claim first = claimOne(Ordering.CONVERSATION);
        Instant expiry = first.leaseUntil();

        assertEquals(List.of(), queue.claim(expiry.minusMillis(1), 10, OWNER, LEASE, Ordering.CONVERSATION));
        assertEquals(Optional.of(expiry), queue.nextDue(expiry.minusMillis(1), Ordering.CONVERSATION));
        Claim second = queue.claim(expiry, 10, "another", LEASE, Ordering.CONVERSATION).getFirst();

        assertEquals(message.id(), second.messageId());
        assertNotEquals(first.token(), second.token());
        assertFalse(queue.renew(first, expiry, LEASE), "the old claim cannot renew");
        assertFalse(queue.complete(first, fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null,
                null), "nor write its outcome");
        assertFalse(queue.reschedule(first, expiry), "nor give it back");
        assertEquals(DeliveryState.SENDING, queue.delivery(message.id()).orElseThrow().state());
        assertEquals(List.of(), reads.attempts(message.id()));
        Attempt attempt = fixture.failedAttempt(message.id(), 1, 500);
        assertTrue(queue.complete(second, attempt, DeliveryState.FAILED, null, "HTTP 500"));
        assertEquals(List.of(attempt), reads.attempts(message.id()));
        assertFalse(queue.complete(second, fixture.successfulAttempt(message.id(), 2), DeliveryState.DELIVERED, null,
                null), "a claim settles once");
    }

    @Test
    void shouldRenewALeaseSoThatTheDeliveryIsNotTakenBack() {
        Message message = fixture.accept(queue, ALICE, "a big upload");
        Claim claim = claimOne(Ordering.CONVERSATION);
        Instant later = claim.leaseUntil().minusSeconds(1);

        assertTrue(queue.renew(claim, later, LEASE));

        assertEquals(List.of(), queue.claim(claim.leaseUntil(), 10, OWNER, LEASE, Ordering.CONVERSATION));
        assertEquals(Optional.of(later.plus(LEASE)), queue.nextDue(claim.leaseUntil(), Ordering.CONVERSATION));
        assertTrue(queue.complete(claim, fixture.successfulAttempt(message.id(), 1), DeliveryState.DELIVERED, null,
                null));
    }

    @Test
    void shouldGiveAClaimBackWithoutAnAttemptDueLater() {
        Message tried = fixture.accept(queue, BOB, "tried once");
        queue.complete(claimOne(Ordering.CONVERSATION), fixture.failedAttempt(tried.id(), 1, 500),
                DeliveryState.RETRYING, fixture.clock.instant(), "HTTP 500");
        Message fresh = fixture.accept(queue, ALICE, "never tried");
        Instant now = fixture.clock.instant();
        List<Claim> claims = queue.claim(now, 10, OWNER, LEASE, Ordering.CONVERSATION);
        Instant later = now.plusSeconds(5);

        claims.forEach(claim -> assertTrue(queue.reschedule(claim, later)));

        assertEquals(DeliveryState.SENDING, claims.getFirst().status().delivery().state());
        assertEquals(new Delivery(fresh.id(), DeliveryState.RETRYING, 0, later, null, now),
                queue.delivery(fresh.id()).orElseThrow());
        assertEquals(new Delivery(tried.id(), DeliveryState.RETRYING, 1, later, "HTTP 500", now),
                queue.delivery(tried.id()).orElseThrow());
        assertEquals(List.of(), queue.claim(later.minusMillis(1), 10, OWNER, LEASE, Ordering.CONVERSATION));
        assertEquals(List.of(tried.id(), fresh.id()), ids(queue.claim(later, 10, OWNER, LEASE,
                Ordering.CONVERSATION)), "in the order they were given back");
    }

    @Test
    void shouldHoldDueDeliveriesUntilReleasedAndLetOnlyTheProbeTakeOne() {
        Message later = fixture.accept(queue, CAROL, "c1");
        queue.complete(claimOne(Ordering.CONVERSATION), fixture.failedAttempt(later.id(), 1, 503),
                DeliveryState.RETRYING, fixture.clock.instant().plusSeconds(30), "HTTP 503");
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Message bob1 = fixture.accept(queue, BOB, "b1");
        Instant now = fixture.clock.instant();

        List<String> held = queue.hold(now);

        assertEquals(List.of(alice1.id(), alice2.id(), bob1.id()), held);
        held.forEach(id -> assertEquals(DeliveryState.HELD, queue.delivery(id).orElseThrow().state()));
        assertEquals(DeliveryState.RETRYING, queue.delivery(later.id()).orElseThrow().state(), "not due yet");
        assertEquals(List.of(), queue.claim(now, 10, OWNER, LEASE, Ordering.NONE), "held deliveries wait");
        Claim probe = queue.claimProbe(now, OWNER, LEASE, Ordering.CONVERSATION).orElseThrow();
        assertEquals(alice1.id(), probe.messageId(), "the oldest due head");
        assertTrue(queue.reschedule(probe, now));
        assertEquals(List.of(alice1.id()), queue.hold(now));

        List<String> released = queue.release(now.plusSeconds(1));

        assertEquals(List.of(alice1.id(), alice2.id(), bob1.id()), released);
        released.forEach(id -> assertEquals(DeliveryState.QUEUED, queue.delivery(id).orElseThrow().state()));
        assertEquals(List.of(alice1.id(), bob1.id()), ids(queue.claim(now.plusSeconds(1), 10, OWNER, LEASE,
                Ordering.CONVERSATION)));
        assertEquals(List.of(), queue.release(now.plusSeconds(2)));
    }

    @Test
    void shouldRequeueAFailedMessageToTheBackOfItsConversationKeepingItsSequence() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        Message alice3 = fixture.accept(queue, ALICE, "a3");
        queue.complete(claimOne(Ordering.CONVERSATION), fixture.failedAttempt(alice1.id(), 1, 422),
                DeliveryState.FAILED, null, "HTTP 422");

        assertTrue(queue.requeue(alice1.id(), false));

        List<String> order = new ArrayList<>();
        for (Claim head; (head = claimOneOrNull(Ordering.STRICT)) != null; ) {
            order.add(head.messageId());
            queue.complete(head, fixture.successfulAttempt(head.messageId(), 1), DeliveryState.DELIVERED, null, null);
        }
        assertEquals(List.of(alice2.id(), alice3.id(), alice1.id()), order);
        assertEquals(1, reads.message(alice1.id()).orElseThrow().message().sequence());
    }

    @Test
    void shouldRequeueAHeldMessageInItsPlace() {
        Message alice1 = fixture.accept(queue, ALICE, "a1");
        Message alice2 = fixture.accept(queue, ALICE, "a2");
        queue.hold(fixture.clock.instant());

        assertTrue(queue.requeue(alice1.id(), false));
        queue.release(fixture.clock.instant());

        assertEquals(List.of(alice1.id()), ids(queue.claim(fixture.clock.instant(), 10, OWNER, LEASE,
                Ordering.CONVERSATION)));
        assertEquals(DeliveryState.QUEUED, queue.delivery(alice2.id()).orElseThrow().state());
    }

    private Claim claimOne(Ordering ordering) {
        return Optional.ofNullable(claimOneOrNull(ordering)).orElseThrow();
    }

    private Claim claimOneOrNull(Ordering ordering) {
        List<Claim> claims = queue.claim(fixture.clock.instant(), 1, OWNER, LEASE, ordering);
        return claims.isEmpty() ? null : claims.getFirst();
    }

    private static List<String> ids(List<Claim> claims) {
        return claims.stream().map(Claim::messageId).toList();
    }

    private Message accept(NewMessage message) {
        return queue.accept(message, DeliveryState.QUEUED);
    }
}
