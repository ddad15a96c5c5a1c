package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static relay.webhook.Engine.OPEN_WINDOW;
import static relay.webhook.Engine.RETRY_BASE;
import static relay.webhook.Engine.T0;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.AttemptOutcome;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;
import relay.webhook.CircuitBreaker.State;

/** The circuit as the dispatcher uses it: nothing reaches a failing webhook until one probe says it recovered. */
class DispatcherCircuitTest extends EngineTest {
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
    void shouldProbeOnceWhenTheWindowEndsThenReleaseEveryHeldMessageOldestFirst() {
        List<Message> failing = openCircuit();
        List<Message> fresh = engine.send(2);
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.awaitAll(fresh, DeliveryState.HELD);
        webhook.hold();

        engine.advanceTo(T0.plus(OPEN_WINDOW));
        assertEquals(List.of(failing.getFirst().id()), webhook.awaitHeld(1));
        Message duringProbe = engine.send("while the probe is out");
        engine.advance(OPEN_WINDOW);
        assertEquals(6, server.getRequestCount(), "exactly one probe");
        assertEquals(DeliveryState.QUEUED, engine.delivery(duringProbe).state(), "waiting for the one slot");
        webhook.releaseAll();

        List<Message> all = Stream.of(failing, fresh, List.of(duringProbe)).flatMap(List::stream).toList();
        engine.awaitAll(all, DeliveryState.DELIVERED);
        assertEquals(Stream.of(failing, all).flatMap(List::stream).map(Message::id).toList(), webhook.ids());
        assertEquals(State.CLOSED, engine.breaker.snapshot().state());
    }

    @Test
    void shouldOpenAFreshWindowWhenTheProbeFails() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        webhook.enqueue(502, 1);

        engine.advanceTo(T0.plus(OPEN_WINDOW));
        engine.await(failing.getFirst(), DeliveryState.RETRYING, 2);
        Instant probeFailedAt = engine.clock.instant();
        CircuitBreaker.Snapshot reopened = engine.breaker.snapshot();
        engine.advance(OPEN_WINDOW.minusMillis(1));
        engine.await(failing.getFirst(), DeliveryState.HELD);
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

        engine.dispatcher.resetCircuit();

        assertEquals(State.CLOSED, engine.dispatcher.circuit().state());
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

        CircuitBreaker.Snapshot paused = engine.dispatcher.circuit();
        assertEquals(State.OPEN, paused.state());
        assertEquals(GONE, paused.pausedReason());
        assertNull(paused.retryAt());
        assertEquals(GONE, engine.delivery(gone).lastError());
        assertEquals(1, server.getRequestCount());

        engine.dispatcher.resetCircuit();

        engine.await(gone, DeliveryState.DELIVERED);
        engine.awaitAll(next, DeliveryState.DELIVERED);
        assertEquals(List.of(gone.id(), gone.id(), next.get(0).id(), next.get(1).id()), webhook.ids());
    }

    @Test
    void shouldAnswerAWatchedSubmitWithHeldWhileOpen() throws Exception {
        openCircuit();

        AttemptOutcome outcome = engine.sendAndWatch("hello").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.HELD, null, null, "the circuit is open"), outcome);
        assertEquals(5, server.getRequestCount());
    }

    @Test
    void shouldRefuseATestEventWhileOpen() {
        openCircuit();

        AttemptOutcome outcome = engine.dispatcher.sendTestEvent("evt_1");

        assertEquals(new AttemptOutcome(DeliveryState.HELD, null, null,
                "the circuit is open until " + T0.plus(OPEN_WINDOW)), outcome);
        assertEquals(5, server.getRequestCount());
    }

    @Test
    void shouldCountTestEventsAsSuccessesAndFailures() {
        webhook.enqueue(500, 4);
        for (int i = 1; i <= 4; i++) {
            assertEquals(new AttemptOutcome(DeliveryState.FAILED, 500, 0L, "gave up after 0 retries: HTTP 500: "
                    + "status 500"), engine.dispatcher.sendTestEvent("evt_" + i));
        }
        assertEquals(4, engine.dispatcher.circuit().consecutiveFailures());

        assertEquals(new AttemptOutcome(DeliveryState.DELIVERED, 200, 0L, null),
                engine.dispatcher.sendTestEvent("evt_5"));
        assertEquals(0, engine.dispatcher.circuit().consecutiveFailures());

        webhook.enqueue(503, 5);
        for (int i = 6; i <= 10; i++) {
            engine.dispatcher.sendTestEvent("evt_" + i);
        }
        assertEquals(State.OPEN, engine.dispatcher.circuit().state());
        assertEquals(10, server.getRequestCount());
    }

    @Test
    void shouldCloseAndReleaseWhenATestEventProbesSuccessfully() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.clock.advance(OPEN_WINDOW);

        AttemptOutcome outcome = engine.dispatcher.sendTestEvent("evt_1");

        assertEquals(DeliveryState.DELIVERED, outcome.state());
        assertEquals(State.CLOSED, engine.dispatcher.circuit().state());
        engine.awaitAll(failing, DeliveryState.DELIVERED);
    }

    @Test
    void shouldProbeAgainWhenAProbeFailsInsideTheServiceBeforeItIsSent() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.breakBodyOnce(failing.getFirst());

        engine.advanceTo(T0.plus(OPEN_WINDOW));

        engine.awaitAll(failing.subList(1, failing.size()), DeliveryState.DELIVERED);
        assertEquals(State.CLOSED, engine.dispatcher.circuit().state());
        engine.advance(Duration.ofSeconds(5));
        engine.await(failing.getFirst(), DeliveryState.DELIVERED);
        assertEquals(10, server.getRequestCount());
    }

    @Test
    void shouldPauseWhenATestEventProbeIsAnsweredGone() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.clock.advance(OPEN_WINDOW);
        webhook.enqueue(410, 1);

        AttemptOutcome outcome = engine.dispatcher.sendTestEvent("evt_1");

        assertEquals(new AttemptOutcome(DeliveryState.FAILED, 410, 0L, GONE), outcome);
        CircuitBreaker.Snapshot paused = engine.dispatcher.circuit();
        assertEquals(State.OPEN, paused.state());
        assertEquals(GONE, paused.pausedReason());
        engine.dispatcher.resetCircuit();
        engine.awaitAll(failing, DeliveryState.DELIVERED);
    }

    @Test
    void shouldArmNoTimerWhenAProbeFailsAfterTheEngineStopped() {
        List<Message> failing = openCircuit();
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        webhook.hold();
        webhook.enqueue(500, 1);
        engine.advanceTo(T0.plus(OPEN_WINDOW));
        webhook.awaitHeld(1);

        int armed = engine.timers.pending();
        engine.dispatcher.close(Duration.ZERO);
        webhook.releaseAll();

        Await.until("the late probe reopens the circuit", () -> engine.breaker.snapshot().consecutiveFailures() == 6);
        engine.awaitSettled();
        assertEquals(armed, engine.timers.pending(), "no timer armed by the stopped engine");
    }

    /** Five messages fail once each, which opens the circuit at T0; each waits for its first retry. */
    @Test
    void shouldStoreAMessageAcceptedWhileOpenAsHeldAndSendItOnceTheCircuitCloses() {
        List<Message> failing = openCircuit();

        Message fresh = engine.sendAsTheChatDoes("while the circuit is open");

        assertEquals(DeliveryState.HELD, engine.delivery(fresh).state(), "held from the start, no second write");
        assertEquals(0, engine.delivery(fresh).attempts());
        engine.advance(RETRY_BASE);
        engine.awaitAll(failing, DeliveryState.HELD);
        engine.advanceTo(T0.plus(OPEN_WINDOW));
        engine.awaitAll(failing, DeliveryState.DELIVERED);
        engine.await(fresh, DeliveryState.DELIVERED, 1);
        assertEquals(Engine.FAILURE_THRESHOLD * 2 + 1, server.getRequestCount(), "one probe, then each once more");
    }

    @Test
    void shouldProbeWithAMessageHeldAtAcceptWhenTheWindowIsOverAndNothingElseWaits() {
        webhook.enqueue(500, Engine.FAILURE_THRESHOLD);
        for (int i = 1; i <= Engine.FAILURE_THRESHOLD; i++) {
            engine.dispatcher.sendTestEvent("evt_" + i);
        }
        assertEquals(State.OPEN, engine.breaker.snapshot().state(), "opened by test events: no message waits");
        engine.advanceTo(T0.plus(OPEN_WINDOW));

        Message fresh = engine.sendAsTheChatDoes("the first message after the window");
        engine.advance(Duration.ZERO);

        engine.await(fresh, DeliveryState.DELIVERED, 1);
        assertEquals(State.CLOSED, engine.breaker.snapshot().state(), "it was the probe, and its success closed it");
        assertEquals(Engine.FAILURE_THRESHOLD + 1, server.getRequestCount());
    }

    @Test
    void shouldQueueAMessageStoredAsHeldWhenTheCircuitClosedBeforeItWasHandedOver() {
        openCircuit();
        assertEquals(DeliveryState.HELD, engine.dispatcher.stateForNewMessage());
        Message late = engine.acceptAs("stored while open", DeliveryState.HELD);
        engine.dispatcher.resetCircuit();

        assertEquals(DeliveryState.QUEUED, engine.dispatcher.submit(late, DeliveryState.HELD).state());

        engine.await(late, DeliveryState.DELIVERED, 1);
    }

    private List<Message> openCircuit() {
        webhook.enqueue(500, Engine.FAILURE_THRESHOLD);
        List<Message> failing = engine.send(Engine.FAILURE_THRESHOLD);
        failing.forEach(message -> engine.await(message, DeliveryState.RETRYING, 1));
        Await.until("the circuit opens", () -> engine.dispatcher.circuit().state() == State.OPEN);
        return failing;
    }
}
