package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.Attempt;
import relay.domain.AttemptMetrics;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.Message;
import relay.domain.MessageStatus;
import relay.domain.Ordering;
import relay.testing.Seed;

/** What every backend's {@link MessageReads} promises; a backend's test subclasses this and says how it opens. */
public abstract class MessageReadsContract extends StoreContract {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";
    private static final List<String> PHONES = List.of(ALICE, BOB, "+5511999990003", "+5511999990004",
            "+5511999990005");

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    @Test
    void shouldPageThroughAConversationNewestPageFirst() {
        List<Message> alice = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            alice.add(fixture.accept(queue, ALICE, "a" + i));
            fixture.accept(queue, BOB, "b" + i);
        }

        List<MessageStatus> newest = reads.conversation(ALICE, 2, null);
        List<MessageStatus> older = reads.conversation(ALICE, 2, newest.getFirst().message().id());
        List<MessageStatus> oldest = reads.conversation(ALICE, 2, older.getFirst().message().id());

        assertEquals(List.of("a4", "a5"), texts(newest));
        assertEquals(List.of("a2", "a3"), texts(older));
        assertEquals(List.of("a1"), texts(oldest));
        assertEquals(List.of(), reads.conversation(ALICE, 2, alice.getFirst().id()));
        assertEquals(5, reads.conversation(ALICE, 50, null).size());
        assertEquals(List.of(), reads.conversation(BOB, 2, alice.get(3).id()), "before must be of the same phone");
        assertEquals(List.of(), reads.conversation("+5511000000000", 2, null));
        assertThrows(IllegalArgumentException.class, () -> reads.conversation(ALICE, 0, null));
    }

    @Test
    void shouldListConversationsByTheirNewestMessage() {
        Message aliceFirst = fixture.accept(queue, ALICE, "a1");
        fixture.accept(queue, BOB, "b1");
        Message aliceLast = fixture.accept(queue, ALICE, "a2");
        fixture.settle(queue, fixture.successfulAttempt(aliceFirst.id(), 1), DeliveryState.DELIVERED, null, null);
        Message bobLast = fixture.accept(queue, BOB, "b2");

        List<Conversation> conversations = reads.conversations(50, null);

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
    void shouldPageNewestFirstFromACursorThatStaysValidWhenTheListChanges() {
        for (String phone : PHONES) {
            fixture.accept(queue, phone, "first to " + phone);
        }

        List<Conversation> first = reads.conversations(2, null);
        List<Conversation> second = reads.conversations(2, first.getLast().position());
        List<Conversation> third = reads.conversations(2, second.getLast().position());

        assertEquals(List.of(PHONES.get(4), PHONES.get(3)), phones(first));
        assertEquals(List.of(PHONES.get(2), PHONES.get(1)), phones(second));
        assertEquals(List.of(PHONES.get(0)), phones(third));

        fixture.accept(queue, PHONES.get(1), "news for the second page");

        assertEquals(List.of(PHONES.get(2), PHONES.get(0)), phones(reads.conversations(2, first.getLast().position())),
                "a conversation that moved to the top is not met again further down");
        assertEquals(List.of(PHONES.get(1), PHONES.get(4)), phones(reads.conversations(2, null)));
    }

    @Test
    void shouldKeepEachRowInStepWithEveryKindOfDeliveryChange() {
        RandomGenerator random = seed.random();
        List<String> phones = PHONES.subList(0, 3);
        List<Message> messages = new ArrayList<>();
        List<Claim> claims = new ArrayList<>();
        Map<String, Long> revisions = new HashMap<>();
        for (int step = 0; step < 300; step++) {
            String change = randomChange(random, phones, messages, claims);
            for (String phone : phones) {
                Optional<Conversation> row = reads.conversationOf(phone);
                List<MessageStatus> thread = reads.conversation(phone, 200, null);
                assertEquals(thread.isEmpty(), row.isEmpty(), "after " + change);
                if (thread.isEmpty()) {
                    continue;
                }
                Conversation expected = new Conversation(phone, thread.getLast(), countByState(thread), thread.size(),
                        row.get().revision());
                assertEquals(expected, row.get(), "after " + change);
                assertTrue(row.get().revision() >= revisions.getOrDefault(phone, 0L), "after " + change);
                revisions.put(phone, row.get().revision());
            }
        }
    }

    /** One write of the kinds the engine makes, on random messages; returns what it did, for failure messages. */
    private String randomChange(RandomGenerator random, List<String> phones, List<Message> messages,
                                List<Claim> claims) {
        if (messages.isEmpty() || random.nextInt(4) == 0) {
            String phone = phones.get(random.nextInt(phones.size()));
            messages.add(random.nextBoolean() ? fixture.accept(queue, phone, "hi")
                    : queue.accept(fixture.newMessage(phone, "held", null), DeliveryState.HELD));
            return "accept to " + phone;
        }
        Instant now = fixture.clock.instant();
        String id = messages.get(random.nextInt(messages.size())).id();
        switch (random.nextInt(8)) {
            case 0 -> {
                Ordering ordering = Ordering.values()[random.nextInt(Ordering.values().length)];
                claims.addAll(queue.claim(now, 1 + random.nextInt(3), "walk", Duration.ofSeconds(30), ordering));
                return "a claim under " + ordering;
            }
            case 1, 2 -> {
                if (claims.isEmpty()) {
                    return "nothing to settle";
                }
                Claim claim = claims.remove(random.nextInt(claims.size()));
                switch (random.nextInt(4)) {
                    case 0 -> queue.complete(claim, fixture.failedAttempt(claim.messageId(), 1, 503),
                            DeliveryState.RETRYING, fixture.clock.instant().plusSeconds(5), "HTTP 503");
                    case 1 -> queue.complete(claim, fixture.successfulAttempt(claim.messageId(), 1),
                            DeliveryState.DELIVERED, null, null);
                    case 2 -> queue.complete(claim, fixture.failedAttempt(claim.messageId(), 2, 400),
                            DeliveryState.FAILED, null, "HTTP 400");
                    default -> queue.reschedule(claim, now);
                }
                return "an outcome of " + claim.messageId();
            }
            case 3 -> queue.hold(now);
            case 4 -> queue.release(now);
            case 5 -> queue.skip(id);
            case 6 -> queue.requeue(id, true);
            default -> queue.requeueAllFailed();
        }
        return "a change of " + id;
    }

    @Test
    void shouldCountEveryStateIncludingZeros() {
        Message sent = fixture.accept(queue, ALICE, "sent");
        fixture.accept(queue, ALICE, "waiting");
        fixture.settle(queue, fixture.successfulAttempt(sent.id(), 1), DeliveryState.DELIVERED, null, null);

        assertEquals(summary(1, 0, 0, 0, 1, 0), reads.counts());
    }

    @Test
    void shouldSummariseAttemptsAndListFailuresLatestFirstWithTheirMessages() {
        assertEquals(new AttemptStats(0, 0, 0, null, null), reads.stats());
        Message hello = fixture.accept(queue, ALICE, "hello");
        List<Attempt> attempts = fourAttempts(hello);
        Attempt timeout = attempts.get(0);
        Attempt serverError = attempts.get(1);
        Attempt success = attempts.get(2);
        Attempt redirect = attempts.get(3);

        assertEquals(new AttemptStats(4, 1, 3, success.startedAt(), redirect.startedAt()), reads.stats());
        assertEquals(List.of(redirect, serverError), attemptsOf(reads.failures(2, null)));
        List<Failure> all = reads.failures(10, null);
        assertEquals(List.of(redirect, serverError, timeout), attemptsOf(all));
        assertEquals(List.of(hello, hello, hello), all.stream().map(Failure::message).toList());
        assertThrows(IllegalArgumentException.class, () -> reads.failures(0, null));
    }

    @Test
    void shouldPageFailuresLatestFirstFromACursorThatStaysValidWhileAttemptsFail() throws Exception {
        String report = fixture.saveAttachment(attachments, "the report").id();
        List<Attempt> failed = new ArrayList<>();
        for (int number = 1; number <= 5; number++) {
            Message message = number % 2 == 0
                    ? queue.accept(fixture.newMessage(BOB, null, report), DeliveryState.QUEUED)
                    : fixture.accept(queue, ALICE, "hello " + number);
            failed.add(fixture.failedAttempt(message.id(), number, 500 + number));
            fixture.settle(queue, failed.getLast(), DeliveryState.FAILED, null, "HTTP 50" + number);
        }
        // Two attempts that started in the same millisecond are told apart by the order they were recorded in.
        Message text = fixture.accept(queue, ALICE, "hello 6");
        Attempt twin = new Attempt(text.id(), 6, failed.getLast().startedAt(), 10, 503, "HTTP 503", null);
        fixture.settle(queue, twin, DeliveryState.FAILED, null, "HTTP 503");

        List<Failure> first = reads.failures(2, null);
        Message later = fixture.accept(queue, ALICE, "hello 7");
        fixture.settle(queue, fixture.failedAttempt(later.id(), 7, 502), DeliveryState.FAILED, null, "HTTP 502");
        List<Failure> second = reads.failures(2, first.getLast().position());
        List<Failure> third = reads.failures(2, second.getLast().position());
        List<Failure> fourth = reads.failures(2, third.getLast().position());

        assertEquals(List.of(twin, failed.get(4)), attemptsOf(first));
        assertEquals(List.of(failed.get(3), failed.get(2)), attemptsOf(second));
        assertEquals(List.of(failed.get(1), failed.get(0)), attemptsOf(third));
        assertEquals(List.of(), fourth);
        assertEquals(report, second.getFirst().message().attachment().id(), "a file's message comes with its attachment");
    }

    private static List<Attempt> attemptsOf(List<Failure> page) {
        return page.stream().map(Failure::attempt).toList();
    }

    @Test
    void shouldCountAttemptsByOutcomeAndDurationForMonitoring() {
        fourAttempts(fixture.accept(queue, ALICE, "hello"));
        fixture.accept(queue, BOB, "not tried yet");

        assertEquals(new AttemptMetrics(2, 1, 2, 1, 5000 + 120 + 80 + 10, List.of(50L, 100L, 1000L),
                List.of(1L, 2L, 3L)), reads.metrics(List.of(50L, 100L, 1000L)));
    }

    /**
     * A timeout (5 s), an HTTP 500 (120 ms), a success (80 ms) and a redirect (10 ms), recorded in that order, each
     * leaving the delivery due again for the next.
     */
    private List<Attempt> fourAttempts(Message message) {
        Attempt timeout = new Attempt(message.id(), 1, fixture.clock.advance(Duration.ofSeconds(1)), 5000, null,
                "timed out after 5 s", null);
        Attempt serverError = fixture.failedAttempt(message.id(), 2, 500);
        Attempt success = fixture.successfulAttempt(message.id(), 3);
        Attempt redirect = new Attempt(message.id(), 4, fixture.clock.advance(Duration.ofSeconds(1)), 10, 302,
                null, null);
        List<Attempt> attempts = List.of(timeout, serverError, success, redirect);
        for (Attempt attempt : attempts) {
            fixture.settle(queue, attempt, DeliveryState.RETRYING, attempt.startedAt(), attempt.error());
        }
        return attempts;
    }

    private static List<String> texts(List<MessageStatus> page) {
        return page.stream().map(status -> status.message().text()).toList();
    }

    private static List<String> phones(List<Conversation> page) {
        return page.stream().map(Conversation::phone).toList();
    }

    private static Map<DeliveryState, Long> countByState(List<MessageStatus> thread) {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        for (DeliveryState state : DeliveryState.values()) {
            counts.put(state, 0L);
        }
        counts.putAll(thread.stream().collect(Collectors.groupingBy(s -> s.delivery().state(), Collectors.counting())));
        return counts;
    }

    private static Map<DeliveryState, Long> summary(long queued, long sending, long retrying, long held,
                                                    long delivered, long failed) {
        return Map.of(DeliveryState.QUEUED, queued, DeliveryState.SENDING, sending, DeliveryState.RETRYING, retrying,
                DeliveryState.HELD, held, DeliveryState.DELIVERED, delivered, DeliveryState.FAILED, failed);
    }
}
