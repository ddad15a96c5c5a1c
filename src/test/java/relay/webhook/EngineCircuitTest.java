package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static relay.webhook.EngineFixture.FAILURE_THRESHOLD;
import static relay.webhook.EngineFixture.OPEN_WINDOW;
import static relay.webhook.EngineFixture.RETRY_BASE;
import static relay.webhook.EngineFixture.T0;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.AttemptOutcome;
import relay.domain.Circuit.State;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;

/**
 * The circuit as the engine uses it: while it is open nothing is claimed and what comes due is held, without
 * spending a retry; one probe goes out when the open window ends, the earliest due first; a closed circuit releases
 * what it held in the order it was queued.
 */
class EngineCircuitTest extends EngineTestBase {
    private static final String GONE = "HTTP 410 Gone: the endpoint was removed";

    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    @Test
    void shouldSendNothingWhileOpenAndHoldMessagesWithoutSpendingRetries() {
        List<Message> failing = openCircuit();

        List<Message> fresh = engine.send(2);
        engine.awaitAll(fresh, DeliveryState.HELD);
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.advanceTo(T0.plus(OPEN_WINDOW).minusMillis(1));

        assertEquals(5, server.getRequestCount(), "no request while the circuit is open");
        fresh.forEach(message -> assertEquals(0, engine.delivery(message).attempts()));
        failing.forEach(message -> assertEquals(1, engine.delivery(message).attempts()));
        assertEquals(State.OPEN, engine.breaker.snapshot().state());
    }

    @Test
    void shouldProbeOnceWhenTheWindowEndsThenReleaseEveryHeldMessageInTheOrderItWasQueued() {
        List<Message> failing = openCircuit();
        List<Message> fresh = engine.send(2);
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.awaitAll(fresh, DeliveryState.HELD);
        webhook.hold();

        engine.advanceTo(T0.plus(OPEN_WINDOW));
        assertEquals(List.of(fresh.getFirst().id()), webhook.awaitHeld(1), "the earliest due goes as the probe");
        Message duringProbe = engine.send("while the probe is out");
        engine.advance(OPEN_WINDOW);
        assertEquals(6, server.getRequestCount(), "exactly one probe");
        assertEquals(DeliveryState.HELD, engine.delivery(duringProbe).state(), "held while the probe is out");
        webhook.releaseAll();

        List<Message> released = Stream.of(failing, fresh.subList(1, 2), List.of(duringProbe))
                .flatMap(List::stream).toList();
        engine.awaitAll(released, DeliveryState.DELIVERED);
        assertEquals(ids(failing, List.of(fresh.getFirst()), released), webhook.ids());
        assertEquals(State.CLOSED, engine.breaker.snapshot().state());
    }

    @Test
    void shouldOpenAFreshWindowWhenTheProbeFails() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        webhook.enqueue(502, 1);

        engine.advanceTo(T0.plus(OPEN_WINDOW));
        Message probe = byId(failing, Await.until("the probe", webhook::ids, ids -> ids.size() == 6).get(5));
        engine.await(probe, DeliveryState.RETRYING, 2);
        Instant probeFailedAt = engine.clock.instant();
        CircuitBreaker.Snapshot reopened = engine.breaker.snapshot();
        engine.advance(OPEN_WINDOW.minusMillis(1));
        engine.await(probe, DeliveryState.HELD);
        assertEquals(6, server.getRequestCount(), "nothing during the fresh window");
        engine.advance(Duration.ofMillis(1));

        engine.awaitAll(failing, DeliveryState.DELIVERED);
        assertEquals(State.OPEN, reopened.state());
        assertEquals(probeFailedAt, reopened.openedAt());
        assertEquals(probeFailedAt.plus(OPEN_WINDOW), reopened.retryAt());
        assertEquals(11, server.getRequestCount());
    }

    @Test
    void shouldCloseAtOnceOnResetAndReleaseWhatWasHeld() {
        List<Message> failing = openCircuit();
        List<Message> fresh = engine.send(2);
        engine.awaitAll(fresh, DeliveryState.HELD);

        engine.engine.resetCircuit();

        assertEquals(State.CLOSED, engine.engine.circuit().state());
        engine.awaitAll(fresh, DeliveryState.DELIVERED);
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.DELIVERED);
        assertEquals(12, server.getRequestCount());
    }

    @Test
    void shouldPauseOnGoneAndHoldEverythingUntilReset() {
        webhook.enqueue(410, 1);
        Message gone = engine.send("first");
        engine.await(gone, DeliveryState.HELD);
        List<Message> next = engine.send(2);
        engine.awaitAll(next, DeliveryState.HELD);

        engine.advance(Duration.ofDays(1));

        CircuitBreaker.Snapshot paused = engine.engine.circuit();
        assertEquals(State.OPEN, paused.state());
        assertEquals(GONE, paused.pausedReason());
        assertNull(paused.retryAt());
        assertEquals(GONE, engine.delivery(gone).lastError());
        assertEquals(1, server.getRequestCount());

        engine.engine.resetCircuit();

        engine.await(gone, DeliveryState.DELIVERED);
        engine.awaitAll(next, DeliveryState.DELIVERED);
        assertEquals(List.of(gone.id(), gone.id(), next.get(0).id(), next.get(1).id()), webhook.ids());
    }

    @Test
    void shouldAnswerAWatchedSendWithHeldWhileOpen() throws Exception {
        openCircuit();

        AttemptOutcome outcome = engine.sendAndWatch("hello").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.HELD, null, null, "the circuit is open"), outcome);
        assertEquals(5, server.getRequestCount());
    }

    @Test
    void shouldRefuseATestEventWhileOpen() {
        openCircuit();

        AttemptOutcome outcome = engine.engine.sendTestEvent("evt_1");

        assertEquals(new AttemptOutcome(DeliveryState.HELD, null, null,
                "the circuit is open until " + T0.plus(OPEN_WINDOW)), outcome);
        assertEquals(5, server.getRequestCount());
    }

    @Test
    void shouldCountTestEventsAsSuccessesAndFailures() {
        webhook.enqueue(500, 4);
        for (int i = 1; i <= 4; i++) {
            assertEquals(new AttemptOutcome(DeliveryState.FAILED, 500, 0L, "gave up after 0 retries: HTTP 500: "
                    + "status 500"), engine.engine.sendTestEvent("evt_" + i));
        }
        assertEquals(4, engine.engine.circuit().consecutiveFailures());

        assertEquals(new AttemptOutcome(DeliveryState.DELIVERED, 200, 0L, null),
                engine.engine.sendTestEvent("evt_5"));
        assertEquals(0, engine.engine.circuit().consecutiveFailures());

        webhook.enqueue(503, 5);
        for (int i = 6; i <= 10; i++) {
            engine.engine.sendTestEvent("evt_" + i);
        }
        assertEquals(State.OPEN, engine.engine.circuit().state());
        assertEquals(10, server.getRequestCount());
    }

    @Test
    void shouldCloseAndReleaseWhenATestEventProbesSuccessfully() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.clock.advance(OPEN_WINDOW);

        AttemptOutcome outcome = engine.engine.sendTestEvent("evt_1");

        assertEquals(DeliveryState.DELIVERED, outcome.state());
        assertEquals(State.CLOSED, engine.engine.circuit().state());
        engine.awaitAll(failing, DeliveryState.DELIVERED);
    }

    @Test
    void shouldProbeAgainWhenAProbeFailsInsideTheServiceBeforeItIsSent() {
        openCircuitWithTestEvents();
        List<Message> held = engine.send(2);
        engine.awaitAll(held, DeliveryState.HELD);
        engine.breakBodyOnce(held.getFirst());

        engine.advanceTo(T0.plus(OPEN_WINDOW));

        engine.await(held.get(1), DeliveryState.DELIVERED);
        assertEquals(State.CLOSED, engine.engine.circuit().state());
        engine.await(held.getFirst(), DeliveryState.RETRYING, 0);
        engine.advance(DeliveryAttempt.INTERNAL_RETRY);
        engine.await(held.getFirst(), DeliveryState.DELIVERED, 1);
        assertEquals(List.of(held.get(1).id(), held.getFirst().id()), webhook.ids().subList(FAILURE_THRESHOLD,
                FAILURE_THRESHOLD + 2));
    }

    @Test
    void shouldPauseWhenATestEventProbeIsAnsweredGone() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.clock.advance(OPEN_WINDOW);
        webhook.enqueue(410, 1);

        AttemptOutcome outcome = engine.engine.sendTestEvent("evt_1");

        assertEquals(new AttemptOutcome(DeliveryState.FAILED, 410, 0L, GONE), outcome);
        CircuitBreaker.Snapshot paused = engine.engine.circuit();
        assertEquals(State.OPEN, paused.state());
        assertEquals(GONE, paused.pausedReason());
        engine.engine.resetCircuit();
        engine.awaitAll(failing, DeliveryState.DELIVERED);
    }

    @Test
    void shouldClaimNothingOnceStoppedEvenWhenALateProbeMovesTheCircuit() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        webhook.hold();
        webhook.enqueue(500, 1);
        engine.advanceTo(T0.plus(OPEN_WINDOW));
        webhook.awaitHeld(1);

        engine.engine.close(Duration.ZERO);
        webhook.releaseAll();

        Await.until("the late probe reopens the circuit", () -> engine.breaker.snapshot().consecutiveFailures() == 6);
        engine.awaitSettled();
        engine.advance(OPEN_WINDOW.multipliedBy(3));
        assertEquals(6, server.getRequestCount(), "no probe, no attempt after the stop");
    }

    @Test
    void shouldStoreAMessageAcceptedWhileOpenAsHeldAndSendItFirstAsTheProbe() {
        List<Message> failing = openCircuit();

        Message fresh = engine.sendAsTheChatDoes("while the circuit is open");

        assertEquals(DeliveryState.HELD, engine.delivery(fresh).state(), "held from the start, no second write");
        assertEquals(0, engine.delivery(fresh).attempts());
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.advanceTo(T0.plus(OPEN_WINDOW));
        engine.await(fresh, DeliveryState.DELIVERED, 1);
        engine.awaitAll(failing, DeliveryState.DELIVERED);
        assertEquals(fresh.id(), webhook.ids().get(FAILURE_THRESHOLD), "due first, so the probe");
        assertEquals(FAILURE_THRESHOLD * 2 + 1, server.getRequestCount(), "one probe, then each once more");
    }

    @Test
    void shouldProbeWithAMessageHeldAtAcceptWhenTheWindowIsOverAndNothingElseWaits() {
        openCircuitWithTestEvents();
        engine.advanceTo(T0.plus(OPEN_WINDOW));

        Message fresh = engine.sendAsTheChatDoes("the first message after the window");

        engine.await(fresh, DeliveryState.DELIVERED, 1);
        assertEquals(State.CLOSED, engine.breaker.snapshot().state(), "it was the probe, and its success closed it");
        assertEquals(FAILURE_THRESHOLD + 1, server.getRequestCount());
    }

    /** Stored as held while open, announced after the close had already released everything held. */
    @Test
    void shouldSendAMessageStoredAsHeldWhenTheCircuitClosedBeforeItWasAnnounced() {
        openCircuit();
        assertEquals(DeliveryState.HELD, engine.engine.stateForNewMessage());
        engine.engine.resetCircuit();
        engine.awaitSettled();
        Message late = engine.acceptAs(engine.newPhone(), "stored while open", DeliveryState.HELD);

        engine.engine.accepted(late, DeliveryState.HELD);

        engine.await(late, DeliveryState.DELIVERED, 1);
    }

    /** Five messages fail once each, which opens the circuit at T0; each waits for its first retry. */
    private List<Message> openCircuit() {
        webhook.enqueue(500, FAILURE_THRESHOLD);
        List<Message> failing = engine.send(FAILURE_THRESHOLD);
        failing.forEach(message -> engine.await(message, DeliveryState.RETRYING, 1));
        Await.until("the circuit opens", () -> engine.engine.circuit().state() == State.OPEN);
        return failing;
    }

    /** Five test events fail, which opens the circuit at T0 with no message waiting. */
    private void openCircuitWithTestEvents() {
        webhook.enqueue(500, FAILURE_THRESHOLD);
        for (int i = 1; i <= FAILURE_THRESHOLD; i++) {
            engine.engine.sendTestEvent("evt_" + i);
        }
        assertEquals(State.OPEN, engine.breaker.snapshot().state());
    }

    private static Message byId(List<Message> messages, String id) {
        return messages.stream().filter(message -> message.id().equals(id)).findFirst().orElseThrow();
    }

    @SafeVarargs
    private static List<String> ids(List<Message>... lists) {
        List<String> ids = new ArrayList<>();
        for (List<Message> list : lists) {
            list.forEach(message -> ids.add(message.id()));
        }
        return ids;
    }
}
