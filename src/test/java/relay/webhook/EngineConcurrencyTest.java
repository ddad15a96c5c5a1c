package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;
import relay.testing.Await;

/**
 * At most {@code WEBHOOK_CONCURRENCY} attempts are in flight, and at most one per conversation unless ordering is
 * none; the earliest due goes first, however long the queue.
 */
class EngineConcurrencyTest extends EngineTestBase {
    private static final int CONCURRENCY = 2;

    @Test
    void shouldKeepAtMostConcurrencyAttemptsInFlightStartingWithTheEarliest() throws IOException {
        engine = engineForWebhook().concurrency(CONCURRENCY).start();
        webhook.hold();
        List<Message> messages = engine.send(20);
        List<String> ids = messages.stream().map(Message::id).toList();

        for (int oldest = 0; oldest < ids.size(); oldest++) {
            webhook.awaitHeld(Set.copyOf(ids.subList(oldest, Math.min(oldest + CONCURRENCY, ids.size()))));
            webhook.release(ids.get(oldest));
        }

        engine.awaitAll(messages, DeliveryState.DELIVERED);
        assertEquals(CONCURRENCY, webhook.maxInFlight());
        assertEquals(ids.size(), server.getRequestCount());
    }

    /** Two conversations and four slots: each conversation has one attempt out at a time, in its order. */
    @Test
    void shouldSendOneAttemptPerConversationAtATimeWhateverTheFreeSlots() throws IOException {
        engine = engineForWebhook().concurrency(4).start();
        webhook.hold();
        String alice = engine.newPhone();
        String bob = engine.newPhone();
        List<Message> fromAlice = engine.sendTo(alice, 3);
        List<Message> fromBob = engine.sendTo(bob, 3);

        for (int i = 0; i < 3; i++) {
            webhook.awaitHeld(Set.of(fromAlice.get(i).id(), fromBob.get(i).id()));
            engine.awaitSettled();
            assertEquals(2 * (i + 1), server.getRequestCount(), "nothing else went out");
            webhook.release(fromAlice.get(i).id());
            webhook.release(fromBob.get(i).id());
        }

        engine.awaitAll(fromAlice, DeliveryState.DELIVERED);
        engine.awaitAll(fromBob, DeliveryState.DELIVERED);
        assertEquals(2, webhook.maxInFlight());
    }

    @Test
    void shouldSendOneConversationsMessagesTogetherWithoutOrdering() throws IOException {
        engine = engineForWebhook().concurrency(4).ordering(Ordering.NONE).start();
        webhook.hold();

        List<Message> messages = engine.sendTo(engine.newPhone(), 4);

        webhook.awaitHeld(messages.stream().map(Message::id).collect(Collectors.toSet()));
        webhook.releaseAll();
        engine.awaitAll(messages, DeliveryState.DELIVERED);
        assertEquals(4, webhook.maxInFlight());
    }

    @Test
    void shouldDrainABacklogOfThousandsWithoutLosingAMessage() throws IOException {
        int concurrency = 16;
        engine = engineForWebhook().concurrency(concurrency).start();
        engine.stop();
        Set<String> backlog = IntStream.range(0, 2_000)
                .mapToObj(i -> engine.accept(engine.newPhone(), "backlog " + i).id()).collect(Collectors.toSet());

        engine.restart();

        Await.until("the backlog is delivered", Duration.ofSeconds(60),
                () -> engine.store.counts().get(DeliveryState.DELIVERED),
                delivered -> delivered == backlog.size());
        assertEquals(backlog, new HashSet<>(webhook.ids()));
        assertEquals(backlog.size(), server.getRequestCount(), "each message once");
        // An attempt asks for the next pass just before its task ends: up to the bound, plus passes and hand-overs.
        assertTrue(engine.maxBusy() <= 2 * concurrency + 1, "tasks at once: " + engine.maxBusy());
    }
}
