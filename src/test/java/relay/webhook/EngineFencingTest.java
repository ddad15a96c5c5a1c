package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.webhook.EngineFixture.LEASE;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Attempt;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;
import relay.testing.LogCapture;
import relay.testing.ManualScheduler;

/**
 * Every outcome is written only while its claim holds: an attempt whose lease ran out and was taken over cannot write
 * its outcome, and an attempt that outlasts its lease keeps it by renewing it.
 */
class EngineFencingTest extends EngineTestBase {
    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    /**
     * Engine A's attempt hangs past its lease without renewing it (its timers do not run); engine B, another instance
     * on the same store, takes the delivery over and delivers it. A's late answer (a 500) is dropped.
     */
    @Test
    void shouldDropTheOutcomeOfAnAttemptWhoseLeaseWasTakenOver() throws Exception {
        webhook.enqueue(500, 1);
        webhook.hold();
        Message message = engine.send("hello");
        webhook.awaitHeld(1);
        engine.clock.advance(LEASE);
        DeliveryEngine other = engine.newEngine("engine-b", new CircuitBreaker(EngineFixture.FAILURE_THRESHOLD,
                EngineFixture.OPEN_WINDOW, engine.clock), new ManualScheduler(engine.clock));

        try (LogCapture log = LogCapture.start()) {
            other.start();
            Await.until("both attempts at the webhook", webhook::ids, ids -> ids.size() == 2);
            webhook.releaseAll();

            engine.await(message, DeliveryState.DELIVERED, 1);
            Await.until("the stale outcome is dropped", () -> log.events("delivery.stale_outcome").size() == 1);
        } finally {
            other.close();
        }
        engine.awaitSettled();
        List<Attempt> attempts = engine.attemptsOf(message);
        assertEquals(1, attempts.size(), "only the attempt that held the claim is recorded: " + attempts);
        assertEquals(200, attempts.getFirst().statusCode());
        assertEquals(DeliveryState.DELIVERED, engine.delivery(message).state());
        assertEquals(List.of(message.id(), message.id()), webhook.ids());
    }

    @Test
    void shouldRenewTheLeaseOfAnAttemptThatOutlastsIt() {
        webhook.hold();
        Message message = engine.send("a long upload");
        webhook.awaitHeld(1);

        for (int i = 0; i < 9; i++) {
            engine.advance(LEASE.dividedBy(3));
        }
        assertEquals(1, server.getRequestCount(), "nobody took it over after three leases");
        webhook.releaseAll();

        engine.await(message, DeliveryState.DELIVERED, 1);
        engine.advance(Duration.ofHours(1));
        assertEquals(1, server.getRequestCount());
    }
}
