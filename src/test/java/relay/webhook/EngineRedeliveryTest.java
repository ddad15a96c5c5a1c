package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Attempt;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;

/**
 * Re-deliveries the operator asks for: a fresh delivery whose attempts count from 1 again, at the back of its
 * conversation, with the same id, sequence and body.
 */
class EngineRedeliveryTest extends EngineTestBase {
    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(1).start();
    }

    @Test
    void shouldRedeliverAFailedMessageCountingAttemptsFromOne() {
        webhook.enqueue(422, 1);
        Message message = engine.send("hello");
        engine.await(message, DeliveryState.FAILED);

        assertTrue(engine.engine.redeliver(message.id(), false));

        engine.await(message, DeliveryState.DELIVERED, 1);
        List<Attempt> attempts = engine.attemptsOf(message);
        assertEquals(List.of(1, 1), attempts.stream().map(Attempt::number).toList());
        assertEquals(List.of(422, 200), attempts.stream().map(Attempt::statusCode).toList());
        assertEquals(List.of(message.id(), message.id()), webhook.ids());
    }

    /** The conversation went on past its failed head; sent again, the head goes last, as it is, byte for byte. */
    @Test
    void shouldSendARedeliveredHeadAfterTheRestOfItsConversationWithTheSameBody() throws Exception {
        String phone = engine.newPhone();
        webhook.enqueue(422, 1);
        Message head = engine.sendTo(phone, "first");
        engine.await(head, DeliveryState.FAILED);
        webhook.hold();
        List<Message> rest = engine.sendTo(phone, 2);
        webhook.awaitHeld(1);

        assertTrue(engine.engine.redeliver(head.id(), false));
        webhook.releaseAll();

        engine.await(head, DeliveryState.DELIVERED, 1);
        assertEquals(List.of(head.id(), rest.get(0).id(), rest.get(1).id(), head.id()), webhook.ids());
        RecordedRequest first = server.takeRequest(10, TimeUnit.SECONDS);
        server.takeRequest(10, TimeUnit.SECONDS);
        server.takeRequest(10, TimeUnit.SECONDS);
        RecordedRequest again = server.takeRequest(10, TimeUnit.SECONDS);
        assertArrayEquals(first.getBody().toByteArray(), again.getBody().toByteArray());
        assertEquals(1, engine.store.message(head.id()).orElseThrow().message().sequence());
    }

    @Test
    void shouldRedeliverEveryFailedMessageOldestFirst() {
        webhook.enqueue(400, 1);
        webhook.enqueue(200, 1);
        webhook.enqueue(400, 2);
        List<Message> messages = engine.send(4);
        engine.awaitAll(List.of(messages.get(0), messages.get(2), messages.get(3)), DeliveryState.FAILED);

        int requeued = engine.engine.redeliverFailed();

        assertEquals(3, requeued);
        engine.awaitAll(messages, DeliveryState.DELIVERED);
        assertEquals(List.of(messages.get(0).id(), messages.get(2).id(), messages.get(3).id()),
                webhook.ids().subList(4, 7));
        assertEquals(7, server.getRequestCount());
    }

    @Test
    void shouldRefuseToRedeliverADeliveredMessageUnlessForced() {
        Message message = engine.send("hello");
        engine.await(message, DeliveryState.DELIVERED);

        assertFalse(engine.engine.redeliver(message.id(), false));
        assertEquals(1, server.getRequestCount());
        assertTrue(engine.engine.redeliver(message.id(), true));

        Await.until("the forced redelivery", () -> engine.attemptsOf(message).size() == 2);
        engine.await(message, DeliveryState.DELIVERED, 1);
        assertEquals(2, server.getRequestCount());
    }

    @Test
    void shouldRefuseToRedeliverOrSkipAnUnknownMessage() {
        assertFalse(engine.engine.redeliver("msg_nope", true));
        assertFalse(engine.engine.skip("msg_nope"));
        assertEquals(0, server.getRequestCount());
    }
}
