package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import relay.domain.Message;
import relay.domain.Attempt;
import relay.domain.DeliveryState;
import relay.testing.Await;

/** Re-deliveries the operator asks for: a fresh delivery whose attempts count from 1 again. */
class DispatcherRedeliveryTest extends EngineTest {
    private void start(int concurrency) throws IOException {
        engine = engineForWebhook().concurrency(concurrency).start();
    }

    @Test
    void shouldRedeliverAFailedMessageCountingAttemptsFromOne() throws IOException {
        start(1);
        webhook.enqueue(422, 1);
        Message message = engine.send("hello");
        engine.await(message, DeliveryState.FAILED);

        assertTrue(engine.dispatcher.redeliver(message.id(), false));

        engine.await(message, DeliveryState.DELIVERED, 1);
        List<Attempt> attempts = engine.attemptsOf(message);
        assertEquals(List.of(1, 1), attempts.stream().map(Attempt::number).toList());
        assertEquals(List.of(422, 200), attempts.stream().map(Attempt::statusCode).toList());
        assertEquals(List.of(message.id(), message.id()), webhook.ids());
    }

    @Test
    void shouldRedeliverEveryFailedMessageOldestFirst() throws IOException {
        start(1);
        webhook.enqueue(400, 1);
        webhook.enqueue(200, 1);
        webhook.enqueue(400, 2);
        List<Message> messages = engine.send(4);
        engine.awaitAll(List.of(messages.get(0), messages.get(2), messages.get(3)), DeliveryState.FAILED);

        int requeued = engine.dispatcher.redeliverFailed();

        assertEquals(3, requeued);
        engine.awaitAll(messages, DeliveryState.DELIVERED);
        assertEquals(List.of(messages.get(0).id(), messages.get(2).id(), messages.get(3).id()),
                webhook.ids().subList(4, 7));
        assertEquals(7, server.getRequestCount());
    }

    @Test
    void shouldRefuseToRedeliverADeliveredMessageUnlessForced() throws IOException {
        start(1);
        Message message = engine.send("hello");
        engine.await(message, DeliveryState.DELIVERED);

        assertFalse(engine.dispatcher.redeliver(message.id(), false));
        assertEquals(1, server.getRequestCount());
        assertTrue(engine.dispatcher.redeliver(message.id(), true));

        engine.await(message, DeliveryState.DELIVERED, 1);
        Await.until("the forced redelivery", () -> server.getRequestCount() == 2);
        assertEquals(2, engine.attemptsOf(message).size());
    }

    @Test
    void shouldRefuseToRedeliverAnUnknownMessage() throws IOException {
        start(1);

        assertFalse(engine.dispatcher.redeliver("msg_nope", true));
        assertEquals(0, server.getRequestCount());
    }
}
