package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.fault.ConversationRun.FLAKY;
import static relay.fault.ConversationRun.MESSAGES;
import static relay.fault.ConversationRun.assertInOrder;
import static relay.fault.ConversationRun.assertNothingLost;
import static relay.fault.ConversationRun.phones;
import static relay.fault.ConversationRun.sendOrder;
import static relay.fault.ConversationRun.settings;
import static relay.fault.ConversationRun.waitingFor;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.fault.ConversationRun.Accepted;
import relay.testing.Await;
import relay.testing.ConversationReceiver;
import relay.testing.RunningApp;
import relay.testing.Seed;

/**
 * Each conversation is delivered in the order its messages were accepted: 200 messages over 10 phones against a
 * receiver that answers in 0-50 ms and fails one request in five (500, 503, reset), each phone's first successful
 * deliveries arrive in {@code sequence} order, with at most one request of a phone at the receiver at a time — also
 * while the circuit opens and closes. A head being retried holds the messages behind it as {@code waiting}; a head
 * that fails for good lets its conversation go on. With {@code WEBHOOK_ORDERING=none} the same run still delivers
 * everything, in whatever order.
 */
class OrderingTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();
    private final Random random = seed.random();

    @Test
    void shouldDeliverEachConversationInSequenceOrderThroughFailures() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), FLAKY);
             RunningApp app = RunningApp.start(dir, settings("conversation", receiver));
             ConversationRun run = new ConversationRun()) {
            List<Accepted> accepted = run.send(app.port(), sendOrder(random), 0);
            JsonNode status = run.awaitSettled(app.port(), MESSAGES);
            ConversationRun.report("conversation", receiver);

            assertNothingLost(status, receiver, accepted);
            assertEquals(Map.of(), receiver.duplicates(), "each message acknowledged once");
            assertInOrder(receiver, accepted);
            assertEquals(1, receiver.maxInFlightPerPhone(), "one request per conversation at a time");
        }
    }

    @Test
    void shouldDeliverEverythingWithoutOrdering() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), FLAKY);
             RunningApp app = RunningApp.start(dir, settings("none", receiver));
             ConversationRun run = new ConversationRun()) {
            List<Accepted> accepted = run.send(app.port(), sendOrder(random), 0);
            JsonNode status = run.awaitSettled(app.port(), MESSAGES);
            ConversationRun.report("none", receiver);

            assertNothingLost(status, receiver, accepted);
            assertEquals(Map.of(), receiver.duplicates(), "each message acknowledged once");
        }
    }

    /**
     * The receiver goes down a third of the way in: every request fails until the circuit (threshold 5, the
     * default) has opened, then it comes back and the circuit's probe closes it. Held and retried messages are
     * released per conversation, oldest first.
     */
    @Test
    void shouldKeepEachConversationInOrderWhileTheCircuitOpensAndCloses() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), FLAKY)) {
            Map<String, String> settings = new HashMap<>(settings("conversation", receiver));
            settings.remove("CIRCUIT_FAILURE_THRESHOLD");
            settings.put("CIRCUIT_OPEN_SECONDS", "1");
            try (RunningApp app = RunningApp.start(dir, settings); ConversationRun run = new ConversationRun()) {
                List<String> order = sendOrder(random);
                List<Accepted> accepted = new ArrayList<>(run.send(app.port(), order.subList(0, MESSAGES / 2), 0));
                Await.until("a fifth delivered", () -> receiver.delivered() >= MESSAGES / 5);
                receiver.failEverything(true);
                accepted.addAll(run.send(app.port(), order.subList(MESSAGES / 2, MESSAGES), MESSAGES / 2));
                run.awaitStatus(app.port(), s -> s.path("circuit").path("state").asText().equals("open"),
                        "the circuit opened");
                receiver.failEverything(false);
                JsonNode status = run.awaitSettled(app.port(), MESSAGES);
                run.awaitStatus(app.port(), s -> s.path("circuit").path("state").asText().equals("closed"),
                        "the circuit closed again");
                ConversationRun.report("conversation, circuit opened", receiver);

                assertNothingLost(status, receiver, accepted);
                assertEquals(Map.of(), receiver.duplicates(), "each message acknowledged once");
                assertInOrder(receiver, accepted);
                assertEquals(1, receiver.maxInFlightPerPhone(), "one request per conversation at a time");
            }
        }
    }

    @Test
    void shouldHoldMessagesBehindARetriedHeadAsWaiting() throws Exception {
        String phone = phones().get(0);
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), ConversationReceiver.Chaos.NONE);
             RunningApp app = RunningApp.start(dir, settings("conversation", receiver));
             ConversationRun run = new ConversationRun()) {
            receiver.answer(phone, 1, 503);
            Accepted head = run.send(app.port(), phone, "first");
            Accepted second = run.send(app.port(), phone, "second");
            Accepted third = run.send(app.port(), phone, "third");
            Accepted elsewhere = run.send(app.port(), phones().get(1), "another conversation");

            JsonNode waiting = app.awaitStatus(second.id(), "waiting");
            assertEquals(head.id(), waitingFor(waiting), "what it waits for: " + waiting);
            app.awaitStatus(third.id(), "waiting");
            app.awaitStatus(elsewhere.id(), "delivered");
            app.awaitMessage(head.id(), view -> view.path("attempts").asInt() >= 2);
            assertEquals(List.of(), receiver.requestsFor(second.id()), "a waiting message spends no attempt");
            assertEquals(List.of(), receiver.requestsFor(third.id()), "a waiting message spends no attempt");

            receiver.unscript(phone, 1);
            app.awaitStatus(third.id(), "delivered");

            assertEquals(List.of(1L, 2L, 3L), receiver.arrivalOrderByPhone().get(phone));
            assertEquals(1, receiver.requestsFor(second.id()).size(), "sent once, when its turn came");
            assertEquals(1, receiver.requestsFor(third.id()).size(), "sent once, when its turn came");
            assertEquals(1, json(app.get("/chat/messages/" + second.id())).path("attempts").asInt());
        }
    }

    @Test
    void shouldLetAConversationAdvancePastAFailedHead() throws Exception {
        String phone = phones().get(0);
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), ConversationReceiver.Chaos.NONE);
             RunningApp app = RunningApp.start(dir, settings("conversation", receiver));
             ConversationRun run = new ConversationRun()) {
            // A slow refusal: the messages behind the head are accepted while its attempt is still in flight.
            receiver.answer(phone, 1, 422, Duration.ofMillis(300));
            Accepted head = run.send(app.port(), phone, "first");
            Accepted second = run.send(app.port(), phone, "second");
            Accepted third = run.send(app.port(), phone, "third");

            app.awaitStatus(third.id(), "delivered");
            app.awaitStatus(second.id(), "delivered");
            JsonNode failed = app.awaitStatus(head.id(), "failed");

            assertTrue(failed.path("last_error").asText().contains("422"), "the failure stays visible: " + failed);
            assertEquals(List.of(1L, 2L, 3L), receiver.requests().stream()
                    .filter(r -> phone.equals(r.phone())).map(ConversationReceiver.Request::sequence).toList(),
                    "the failed head first, once; then the rest in order");
            assertEquals(1, receiver.maxInFlightPerPhone(), "the rest waited for the head's answer");
        }
    }
}
