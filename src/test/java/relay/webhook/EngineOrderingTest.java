package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;

/**
 * Each conversation in order: the messages behind a head being retried wait without spending attempts, a head that
 * fails for good lets the rest go on ({@code conversation}) or blocks them until it is skipped or resent
 * ({@code strict}); other conversations are not held up.
 */
class EngineOrderingTest extends EngineTestBase {
    private void start(Ordering ordering) throws IOException {
        engine = engineForWebhook().concurrency(4).ordering(ordering).start();
    }

    @Test
    void shouldKeepTheRestOfAConversationWaitingWhileItsHeadIsRetried() throws IOException {
        start(Ordering.CONVERSATION);
        webhook.enqueue(503, 1);
        String phone = engine.newPhone();
        List<Message> line = engine.sendTo(phone, 3);
        Delivery retrying = engine.await(line.getFirst(), DeliveryState.RETRYING, 1);
        // Sent once the head has its answer, so that the scripted 503 is the head's.
        Message elsewhere = engine.send("another conversation");
        engine.await(elsewhere, DeliveryState.DELIVERED);
        assertEquals(line.getFirst().id(), engine.store.head(phone, Ordering.CONVERSATION).orElseThrow().messageId());
        line.subList(1, 3).forEach(message -> assertEquals(0, engine.delivery(message).attempts()));
        assertEquals(2, server.getRequestCount(), "the head and the other conversation");

        engine.advanceTo(retrying.nextAttemptAt());

        engine.awaitAll(line, DeliveryState.DELIVERED);
        assertEquals(List.of(line.get(0).id(), elsewhere.id(), line.get(0).id(), line.get(1).id(), line.get(2).id()),
                webhook.ids());
    }

    @Test
    void shouldLetAConversationGoOnPastAHeadThatFailedForGood() throws IOException {
        start(Ordering.CONVERSATION);
        webhook.enqueue(422, 1);

        List<Message> line = engine.sendTo(engine.newPhone(), 3);

        engine.await(line.getFirst(), DeliveryState.FAILED);
        engine.awaitAll(line.subList(1, 3), DeliveryState.DELIVERED);
        assertEquals(line.stream().map(Message::id).toList(), webhook.ids());
    }

    @Test
    void shouldBlockAStrictConversationBehindAFailedHeadUntilItIsSkipped() throws IOException {
        start(Ordering.STRICT);
        webhook.enqueue(422, 1);
        String phone = engine.newPhone();
        List<Message> line = engine.sendTo(phone, 3);
        engine.await(line.getFirst(), DeliveryState.FAILED);
        Message elsewhere = engine.send("another conversation");
        engine.await(elsewhere, DeliveryState.DELIVERED);
        engine.advance(Duration.ofHours(1));
        assertEquals(2, server.getRequestCount(), "the rest of the conversation waits");
        assertEquals(DeliveryState.FAILED, engine.store.head(phone, Ordering.STRICT).orElseThrow().state());
        assertTrue(engine.engine.skip(line.getFirst().id()));

        engine.awaitAll(line.subList(1, 3), DeliveryState.DELIVERED);
        assertEquals(List.of(line.get(0).id(), elsewhere.id(), line.get(1).id(), line.get(2).id()), webhook.ids());
        assertTrue(engine.delivery(line.getFirst()).lastError().startsWith("skipped by the operator"));
        assertEquals(Set.of(), Set.copyOf(engine.store.head(phone, Ordering.STRICT).stream().toList()));
    }

    @Test
    void shouldSendAResentStrictHeadAfterTheRestOfItsConversation() throws IOException {
        start(Ordering.STRICT);
        webhook.enqueue(422, 1);
        List<Message> line = engine.sendTo(engine.newPhone(), 3);
        engine.await(line.getFirst(), DeliveryState.FAILED);

        assertTrue(engine.engine.redeliver(line.getFirst().id(), false));

        engine.awaitAll(line, DeliveryState.DELIVERED);
        assertEquals(List.of(line.get(0).id(), line.get(1).id(), line.get(2).id(), line.get(0).id()), webhook.ids());
    }
}
