package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;

/** The outbox is the truth: whatever a stopped engine left unfinished, the next one on the same folder finishes. */
class DispatcherRestartTest extends EngineTest {
    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    @Test
    void shouldDeliverAnAttemptCutOffByAnAbruptStopAfterRestartWithTheSameIdAndBody() throws Exception {
        webhook.hold();
        Message message = engine.send("hello");
        webhook.awaitHeld(1);

        engine.restart();
        webhook.releaseAll();

        engine.await(message, DeliveryState.DELIVERED);
        RecordedRequest cutOff = server.takeRequest(10, TimeUnit.SECONDS);
        RecordedRequest again = server.takeRequest(10, TimeUnit.SECONDS);
        assertEquals(message.id(), cutOff.getHeaders().get("webhook-id"));
        assertEquals(message.id(), again.getHeaders().get("webhook-id"));
        assertArrayEquals(cutOff.getBody().toByteArray(), again.getBody().toByteArray());
        assertEquals(1, engine.delivery(message).attempts());
    }

    @Test
    void shouldSendADeliveryLeftSendingWhenTheEngineStarts() throws Exception {
        Message message = engine.accept("hello");
        engine.outbox.markSending(message.id());

        engine.restart();

        engine.await(message, DeliveryState.DELIVERED);
        assertEquals(List.of(message.id()), webhook.ids());
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
    void shouldRescheduleUnfinishedDeliveriesOldestFirst() throws Exception {
        Message newest = accept("msg_a", Engine.T0.plusSeconds(3));
        Message oldest = accept("msg_b", Engine.T0.plusSeconds(1));
        Message middle = accept("msg_c", Engine.T0.plusSeconds(2));
        engine.outbox.markHeld(List.of(oldest.id()));
        engine.outbox.markSending(middle.id());

        engine.restart();

        engine.awaitAll(List.of(newest, oldest, middle), DeliveryState.DELIVERED);
        assertEquals(List.of(oldest.id(), middle.id(), newest.id()), webhook.ids());
    }

    private Message accept(String id, Instant createdAt) {
        return engine.outbox.accept(new NewMessage(id, Engine.PHONE, "hello", null, createdAt), DeliveryState.QUEUED);
    }
}
