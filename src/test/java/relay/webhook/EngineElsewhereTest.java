package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.AttemptOutcome;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;
import relay.store.Signal;
import relay.testing.ManualScheduler;

/**
 * Changes made by another instance on the same store, as its hints tell them: each is read from the store and shown
 * as a change made here would be, wakes the claim loop, and answers whoever here waits for a first attempt that the
 * other instance made. The periodic pass is an hour away and no timer runs, so only the hint can have done it.
 */
class EngineElsewhereTest extends EngineTestBase {
    /** An instance that watches and shows, but never claims: its loop is not started. */
    private DeliveryEngine here;

    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().start();
        here = engine.newEngine("engine-here", new CircuitBreaker(EngineFixture.FAILURE_THRESHOLD,
                EngineFixture.OPEN_WINDOW, engine.clock), new ManualScheduler(engine.clock));
    }

    @AfterEach
    void stopHere() {
        here.close();
    }

    @Test
    void shouldClaimAtOnceAndShowWhatAnotherInstanceAccepted() {
        List<DeliveryEvent> shown = new CopyOnWriteArrayList<>();
        engine.engine.addListener(shown::add);
        Message accepted = engine.accept(engine.newPhone(), "accepted elsewhere");

        engine.engine.changedElsewhere(new Signal.MessageChanged(accepted.id(), accepted.phone(), true), true);

        engine.await(accepted, DeliveryState.DELIVERED);
        assertEquals(DeliveryState.QUEUED, shown.getFirst().delivery().state());
        assertEquals(accepted.id(), shown.getFirst().messageId());
        assertEquals(accepted.phone(), shown.getFirst().phone());
        assertEquals(1 + EngineFixture.MAX_RETRIES, shown.getFirst().maxAttempts());
    }

    @Test
    void shouldClaimWithoutReadingWhatNoPageShowsAndNobodyWaitsFor() {
        List<DeliveryEvent> shown = new CopyOnWriteArrayList<>();
        engine.engine.addListener(shown::add);
        Message accepted = engine.accept(engine.newPhone(), "accepted elsewhere, no page open here");

        engine.engine.changedElsewhere(changed(accepted), false);

        engine.await(accepted, DeliveryState.DELIVERED);
        assertEquals(List.of(DeliveryState.SENDING, DeliveryState.DELIVERED),
                shown.stream().map(event -> event.delivery().state()).toList(), "only this engine's own moves");
    }

    @Test
    void shouldAnswerAWaiterHereAsTheInstanceThatMadeTheFirstAttemptAnswersItsOwn() throws Exception {
        webhook.enqueue(503, 1);
        Watched watched = acceptWatchedHere("retried elsewhere");

        engine.engine.changedElsewhere(changed(watched.message()), false);
        AttemptOutcome theirs = watched.there().get(10, TimeUnit.SECONDS);
        engine.await(watched.message(), DeliveryState.RETRYING, 1);
        here.changedElsewhere(changed(watched.message()), false);

        assertEquals(theirs, watched.here().get(10, TimeUnit.SECONDS));
        assertEquals(DeliveryState.RETRYING, theirs.state());
        assertEquals(503, theirs.statusCode());
    }

    @Test
    void shouldAnswerAWaiterWhoseHintWasMissedByReadingWatchedMessagesAgain() throws Exception {
        Watched watched = acceptWatchedHere("delivered elsewhere");
        here.recheckWatched();
        assertFalse(watched.here().isDone(), "no attempt yet");

        engine.engine.changedElsewhere(changed(watched.message()), false);
        AttemptOutcome theirs = watched.there().get(10, TimeUnit.SECONDS);
        engine.await(watched.message(), DeliveryState.DELIVERED);
        here.recheckWatched();

        assertEquals(theirs, watched.here().get(10, TimeUnit.SECONDS));
        assertEquals(new AttemptOutcome(DeliveryState.DELIVERED, 200, theirs.durationMs(), null), theirs);
    }

    /** The hint another instance sends when it accepted a message or an attempt of it ended. */
    private static Signal.MessageChanged changed(Message message) {
        return new Signal.MessageChanged(message.id(), message.phone(), true);
    }

    /**
     * A message accepted here with ?wait=true (watched, then stored), and watched on the claiming instance too, to
     * compare answers.
     */
    private record Watched(Message message, CompletableFuture<AttemptOutcome> here,
                           CompletableFuture<AttemptOutcome> there) {
    }

    private Watched acceptWatchedHere(String text) {
        String id = "msg_elsewhere";
        CompletableFuture<AttemptOutcome> mine = here.watchFirstAttempt(id);
        CompletableFuture<AttemptOutcome> theirs = engine.engine.watchFirstAttempt(id);
        Message message = engine.store.accept(new NewMessage(id, engine.newPhone(), text, null,
                engine.clock.instant()), DeliveryState.QUEUED);
        return new Watched(message, mine, theirs);
    }
}
