package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static relay.webhook.EngineFixture.MAX_RETRIES;
import static relay.webhook.EngineFixture.OPEN_WINDOW;
import static relay.webhook.EngineFixture.RETRY_BASE;
import static relay.webhook.EngineFixture.RETRY_MAX;
import static relay.webhook.EngineFixture.T0;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Attempt;
import relay.domain.Circuit.State;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;

/**
 * An attachment the store cannot read is the store's trouble, not the webhook's: the attempt is recorded as
 * "attachment unavailable: storage error", retried with backoff in case the file comes back, and never moves the
 * circuit.
 */
class EngineStorageTest extends EngineTestBase {
    private static final String UNAVAILABLE = "attachment unavailable: storage error";

    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    @Test
    void shouldRetryAnUnreadableAttachmentWithoutSendingOrOpeningTheCircuit() throws IOException {
        List<Message> lost = new ArrayList<>();
        for (int i = 0; i <= EngineFixture.FAILURE_THRESHOLD; i++) {
            lost.add(engine.sendWithLostAttachment("report " + i));
        }

        for (Message message : lost) {
            Delivery delivery = engine.await(message, DeliveryState.RETRYING, 1);
            assertEquals(UNAVAILABLE, delivery.lastError());
            Attempt attempt = engine.attemptsOf(message).getFirst();
            assertEquals(UNAVAILABLE, attempt.error());
            assertNull(attempt.statusCode());
        }
        assertEquals(0, server.getRequestCount(), "nothing reached the webhook");
        CircuitBreaker.Snapshot circuit = engine.engine.circuit();
        assertEquals(State.CLOSED, circuit.state());
        assertEquals(0, circuit.consecutiveFailures());

        for (Message message : lost) {
            engine.restoreAttachment(message);
        }
        engine.advance(RETRY_MAX);
        engine.awaitAll(lost, DeliveryState.DELIVERED);
        assertEquals(lost.size(), server.getRequestCount());
    }

    @Test
    void shouldFailAfterTheLastRetryWhenTheFileNeverComesBack() throws IOException {
        Message lost = engine.sendWithLostAttachment("report");

        for (int attempt = 1; attempt <= MAX_RETRIES; attempt++) {
            engine.await(lost, DeliveryState.RETRYING, attempt);
            engine.advance(RETRY_MAX);
        }

        Delivery failed = engine.await(lost, DeliveryState.FAILED, MAX_RETRIES + 1);
        assertEquals("gave up after " + MAX_RETRIES + " retries: " + UNAVAILABLE, failed.lastError());
        assertEquals(State.CLOSED, engine.engine.circuit().state());
        assertEquals(0, server.getRequestCount());
    }

    @Test
    void shouldHandTheProbeOnWhenTheProbesAttachmentCannotBeRead() throws IOException {
        Message lost = engine.sendWithLostAttachment("report");
        engine.await(lost, DeliveryState.RETRYING, 1);
        webhook.enqueue(500, EngineFixture.FAILURE_THRESHOLD);
        List<Message> failing = engine.send(EngineFixture.FAILURE_THRESHOLD);
        failing.forEach(message -> engine.await(message, DeliveryState.RETRYING, 1));
        Await.until("the circuit opens", () -> engine.engine.circuit().state() == State.OPEN);
        engine.advance(RETRY_BASE);
        engine.await(lost, DeliveryState.HELD);
        engine.awaitAll(failing, DeliveryState.HELD);

        engine.advanceTo(T0.plus(OPEN_WINDOW));

        engine.awaitAll(failing, DeliveryState.DELIVERED);
        assertEquals(State.CLOSED, engine.engine.circuit().state());
        assertEquals(UNAVAILABLE, engine.await(lost, DeliveryState.RETRYING, 2).lastError());
        assertEquals(2 * EngineFixture.FAILURE_THRESHOLD, server.getRequestCount());
    }
}
