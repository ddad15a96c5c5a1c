package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.fault.ConversationRun.phones;
import static relay.fault.ConversationRun.settings;
import static relay.fault.ConversationRun.waitingFor;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.fault.ConversationRun.Accepted;
import relay.testing.ConversationReceiver;
import relay.testing.ConversationReceiver.Request;
import relay.testing.RunningApp;
import relay.testing.Seed;

/**
 * {@code WEBHOOK_ORDERING=strict}: a head that fails for good (422, not worth a retry) blocks its conversation —
 * the messages behind it wait, visibly, while other conversations go on — until the operator skips it
 * ({@code POST /chat/messages/{id}/skip}: failed, reason "skipped", the rest released in order) or resends it (it
 * goes to the back of its conversation with its id and sequence).
 */
class StrictOrderingTest {
    private static final int PER_PHONE = 4;

    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    private final String blocked = phones().get(0);
    private final String other = phones().get(1);

    @Test
    void shouldBlockAConversationBehindAFailedHeadUntilTheHeadIsSkipped() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), ConversationReceiver.Chaos.NONE);
             RunningApp app = RunningApp.start(dir, settings("strict", receiver));
             ConversationRun run = new ConversationRun()) {
            receiver.answer(blocked, 1, 422);
            List<Accepted> mine = new ArrayList<>();
            List<Accepted> theirs = new ArrayList<>();
            for (int i = 1; i <= PER_PHONE; i++) {
                mine.add(run.send(app.port(), blocked, "blocked " + i));
                theirs.add(run.send(app.port(), other, "free " + i));
            }
            Accepted head = mine.getFirst();

            app.awaitStatus(head.id(), "failed");
            theirs.forEach(message -> app.awaitStatus(message.id(), "delivered"));
            for (Accepted behind : mine.subList(1, PER_PHONE)) {
                app.awaitStatus(behind.id(), "waiting");
            }
            JsonNode next = json(app.get("/chat/messages/" + mine.get(1).id()));
            assertEquals(head.id(), waitingFor(next), "what it waits for: " + next);
            assertEquals(List.of(1L), sequencesOf(receiver.requests(), blocked), "only the head was sent");

            int beforeSkip = receiver.requests().size();
            HttpResponse<String> skip = app.post("/chat/messages/" + head.id() + "/skip");
            assertEquals(200, skip.statusCode(), skip.body());
            assertSkipped(json(skip));
            mine.forEach(message -> {
                if (message != head) {
                    app.awaitStatus(message.id(), "delivered");
                }
            });

            List<Request> released = receiver.requests().subList(beforeSkip, receiver.requests().size());
            assertEquals(List.of(2L, 3L, 4L), sequencesOf(released, blocked), "released after the skip, in order");
            assertSkipped(json(app.get("/chat/messages/" + head.id())));
            assertEquals(1, receiver.requestsFor(head.id()).size(), "a skipped head is not sent again");
        }
    }

    @Test
    void shouldSendAResentHeadToTheBackOfItsConversation() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), ConversationReceiver.Chaos.NONE);
             RunningApp app = RunningApp.start(dir, settings("strict", receiver));
             ConversationRun run = new ConversationRun()) {
            receiver.answer(blocked, 1, 422);
            List<Accepted> mine = new ArrayList<>();
            for (int i = 1; i <= PER_PHONE; i++) {
                mine.add(run.send(app.port(), blocked, "blocked " + i));
            }
            Accepted head = mine.getFirst();
            app.awaitStatus(head.id(), "failed");
            app.awaitStatus(mine.getLast().id(), "waiting");

            receiver.unscript(blocked, 1);
            HttpResponse<String> resend = app.post("/chat/messages/" + head.id() + "/redeliver");
            assertEquals(202, resend.statusCode(), resend.body());
            mine.forEach(message -> app.awaitStatus(message.id(), "delivered"));

            assertEquals(List.of(2L, 3L, 4L, 1L), receiver.arrivalOrderByPhone().get(blocked),
                    "the resent head arrives last");
            List<Request> headRequests = receiver.requestsFor(head.id());
            assertEquals(2, headRequests.size(), "the head was sent twice: " + headRequests);
            assertEquals(Set.of(1L), headRequests.stream().map(Request::sequence).collect(Collectors.toSet()),
                    "with its sequence");
            assertEquals(1, headRequests.stream().map(Request::bodySha256).distinct().count(),
                    "with the same body");
        }
    }

    private static void assertSkipped(JsonNode view) {
        assertEquals("failed", view.path("status").asText(), "a skipped message shows as failed: " + view);
        assertTrue(view.path("last_error").asText().contains("skipped"), "with the reason: " + view);
    }

    private static List<Long> sequencesOf(List<Request> requests, String phone) {
        return requests.stream().filter(r -> phone.equals(r.phone())).map(Request::sequence).toList();
    }
}
