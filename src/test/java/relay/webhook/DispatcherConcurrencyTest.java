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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Message;
import relay.domain.DeliveryState;
import relay.testing.Await;

/** At most {@code concurrency} attempts are in flight, oldest message first, however long the queue. */
class DispatcherConcurrencyTest extends EngineTest {
    private static final int CONCURRENCY = 2;

    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(CONCURRENCY).start();
    }

    @Test
    void shouldKeepAtMostConcurrencyAttemptsInFlightStartingOldestFirst() {
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

    @Test
    void shouldDrainABacklogOfThousandsWithoutLosingAMessage() throws IOException {
        int concurrency = 16;
        Set<String> backlog = IntStream.range(0, 2_000).mapToObj(i -> engine.accept("backlog " + i).id())
                .collect(Collectors.toSet());

        engine.concurrency(concurrency).restart();

        Await.until("the backlog is delivered", Duration.ofSeconds(60),
                () -> engine.outbox.counts().get(DeliveryState.DELIVERED),
                delivered -> delivered == backlog.size());
        assertEquals(backlog, new HashSet<>(webhook.ids()));
        assertEquals(backlog.size(), server.getRequestCount(), "each message once");
        // An attempt hands its slot on just before its task ends, so up to twice as many tasks exist for a moment.
        assertTrue(engine.maxBusy() <= 2 * concurrency, "tasks at once: " + engine.maxBusy());
    }
}
