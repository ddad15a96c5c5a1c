package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.webhook.EngineFixture.LEASE;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;
import relay.store.Claim;

/**
 * The store is the truth: whatever a stopped engine left unfinished, the next one on the same folder finishes, in
 * each conversation's order. A delivery cut off mid-attempt is due again when its lease runs out; nothing at start
 * is special.
 */
class EngineRestartTest extends EngineTestBase {
    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    @Test
    void shouldSendAnAttemptCutOffByAnAbruptStopAgainOnceItsLeaseRunsOutWithTheSameIdAndBody() throws Exception {
        webhook.hold();
        Message message = engine.send("hello");
        webhook.awaitHeld(1);

        engine.restart();
        engine.advance(LEASE.minusMillis(1));
        assertEquals(1, server.getRequestCount(), "not before the lease runs out");
        webhook.releaseAll();
        engine.advance(Duration.ofMillis(1));

        engine.await(message, DeliveryState.DELIVERED);
        RecordedRequest cutOff = server.takeRequest(10, TimeUnit.SECONDS);
        RecordedRequest again = server.takeRequest(10, TimeUnit.SECONDS);
        assertEquals(message.id(), cutOff.getHeaders().get("webhook-id"));
        assertEquals(message.id(), again.getHeaders().get("webhook-id"));
        assertArrayEquals(cutOff.getBody().toByteArray(), again.getBody().toByteArray());
        assertEquals(1, engine.delivery(message).attempts());
        assertEquals(1, engine.attemptsOf(message).size(), "the cut-off attempt's outcome is not recorded");
    }

    @Test
    void shouldPickUpAConversationCutOffMidAttemptInItsOrder() throws Exception {
        String phone = engine.newPhone();
        engine.stop();
        Message first = engine.accept(phone, "first");
        Message second = engine.accept(phone, "second");
        Message third = engine.accept(phone, "third");
        Claim cutOff = engine.store.claim(engine.clock.instant(), 1, "a stopped engine", LEASE,
                Ordering.CONVERSATION).getFirst();
        assertEquals(first.id(), cutOff.messageId());

        engine.restart();
        assertEquals(0, server.getRequestCount(), "the others wait behind the one being sent");
        engine.advance(LEASE);

        engine.awaitAll(List.of(first, second, third), DeliveryState.DELIVERED);
        assertEquals(List.of(first.id(), second.id(), third.id()), webhook.ids());
    }

    @Test
    void shouldHonourAScheduledRetryAfterRestart() throws Exception {
        webhook.enqueue(500, 1);
        Message message = engine.send("hello");
        Instant retryAt = engine.await(message, DeliveryState.RETRYING).nextAttemptAt();

        engine.restart();
        engine.advanceTo(retryAt.minusMillis(1));
        assertEquals(1, server.getRequestCount(), "not before its time");
        engine.advanceTo(retryAt);

        engine.await(message, DeliveryState.DELIVERED, 2);
        assertEquals(2, server.getRequestCount());
    }

    @Test
    void shouldReleaseWhatWasHeldWhenTheCircuitStartsClosed() throws Exception {
        engine.stop();
        Message held = engine.acceptAs(engine.newPhone(), "held when the last run stopped", DeliveryState.HELD);
        Message queued = engine.accept(engine.newPhone(), "queued");

        engine.restart();

        engine.awaitAll(List.of(held, queued), DeliveryState.DELIVERED);
        assertEquals(List.of(held.id(), queued.id()), webhook.ids());
    }
}
