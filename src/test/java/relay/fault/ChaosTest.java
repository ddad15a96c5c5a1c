package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Circuit;
import relay.testing.ChaosReceiver;
import relay.testing.ChaosReceiver.Behaviour;
import relay.testing.RunningApp;
import relay.testing.Seed;

/**
 * A receiver that misbehaves in every way a real one does — 500s with gzip bodies, 429 and 503 with Retry-After,
 * connection resets, stalls past the timeout — yet every message ends delivered, the circuit opens and closes as
 * designed, and the status endpoint's counters add up to what the receiver saw: every attempt reached it, every
 * extra request it got answered a request that got no byte back (which the HTTP client resends once, at once), and
 * its 200s are the successful attempts, one per message, and each conversation's 200s came in the order it was sent.
 */
class ChaosTest {
    private static final int MESSAGES = 80;
    /** Messages go round-robin to this many phones: each conversation keeps its order through the chaos. */
    private static final int PHONES = 8;
    /** Each message fails at most this many times, so the retries allowed always suffice. */
    private static final int MAX_FAILURES_PER_MESSAGE = 3;
    private static final String CHAOS_BODY = "{\"error\":\"chaos\"}";

    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();
    private final Random random = seed.random();
    private final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    private final List<String> acknowledged = new CopyOnWriteArrayList<>();

    private Behaviour misbehave(ChaosReceiver.Received request) {
        AtomicInteger left = failuresLeft.computeIfAbsent(request.webhookId(),
                id -> new AtomicInteger(random.nextInt(MAX_FAILURES_PER_MESSAGE + 1)));
        if (left.getAndDecrement() <= 0) {
            acknowledged.add(request.webhookId());
            return new Behaviour.Answer(200, Map.of(), "{\"ok\":true}", random.nextBoolean());
        }
        return switch (random.nextInt(5)) {
            case 0 -> new Behaviour.Answer(500, Map.of(), CHAOS_BODY, true);
            case 1 -> new Behaviour.Answer(429, Map.of("Retry-After", "1"), "slow down", false);
            case 2 -> new Behaviour.Answer(503, Map.of("Retry-After", "1"), "maintenance", false);
            case 3 -> new Behaviour.Reset();
            default -> new Behaviour.Stall(Duration.ofMillis(1500));
        };
    }

    @Test
    void shouldDeliverEverythingThroughChaosWithCountersThatAddUp() throws Exception {
        try (ChaosReceiver receiver = new ChaosReceiver(this::misbehave);
             RunningApp app = RunningApp.start(dir, Map.of("WEBHOOK_URL", receiver.url("/hook"),
                     "WEBHOOK_TIMEOUT", "1", "WEBHOOK_MAX_RETRIES", "6", "WEBHOOK_RETRY_BASE_SECONDS", "1",
                     "WEBHOOK_RETRY_MAX_SECONDS", "2", "CIRCUIT_FAILURE_THRESHOLD", "4", "CIRCUIT_OPEN_SECONDS", "1"))) {
            List<Circuit.State> circuit = new CopyOnWriteArrayList<>();
            app.app().chat().addCircuitListener(snapshot -> circuit.add(snapshot.state()));
            List<String> ids = new ArrayList<>();
            Map<String, List<String>> sentTo = new HashMap<>();
            for (int i = 0; i < MESSAGES; i++) {
                String phone = "+551199999000" + (i % PHONES);
                ids.add(app.sendText(phone, "chaos " + i));
                sentTo.computeIfAbsent(phone, p -> new ArrayList<>()).add(ids.getLast());
            }

            JsonNode status = app.await("/chat/webhook-status",
                    s -> s.path("queue").path("delivered").asInt() == MESSAGES
                            && s.path("circuit").path("state").asText().equals("closed"), Duration.ofSeconds(90));

            assertEquals(0, status.path("queue").path("failed").asInt());
            assertTrue(circuit.contains(Circuit.State.OPEN), "the circuit opened: " + circuit);
            assertTrue(circuit.contains(Circuit.State.HALF_OPEN), "it was probed: " + circuit);
            assertEquals(Circuit.State.CLOSED, circuit.getLast(), "and closed again: " + circuit);
            JsonNode stats = status.path("stats");
            // A request that got no byte back is sent once more at once by the HTTP client, within its attempt.
            int attempts = stats.path("attempts").asInt();
            assertTrue(receiver.received().size() >= attempts, "each attempt reached the receiver");
            assertTrue(receiver.received().size() <= attempts + receiver.unanswered(),
                    receiver.received().size() + " requests for " + attempts + " attempts and "
                            + receiver.unanswered() + " unanswered");
            assertEquals(receiver.answered(200), stats.path("delivered").asInt(), "successes = 200s sent");
            assertEquals(MESSAGES, receiver.answered(200), "each message acknowledged once");
            assertEquals(stats.path("attempts").asInt() - MESSAGES, stats.path("failed").asInt());
            assertGzipBodiesWereDecoded(app, ids, receiver);
            sentTo.forEach((phone, sent) -> assertEquals(sent,
                    acknowledged.stream().filter(sent::contains).toList(), phone + " acknowledged in order"));
        }
    }

    /** A 500 answered with a gzip body shows in the attempt history as the plain text. */
    private static void assertGzipBodiesWereDecoded(RunningApp app, List<String> ids, ChaosReceiver receiver) {
        if (receiver.answered(500) == 0) {
            return;
        }
        boolean seen = false;
        for (String id : ids) {
            for (JsonNode attempt : json(app.get("/chat/messages/" + id)).path("history")) {
                if (attempt.path("status_code").asInt() == 500) {
                    assertEquals(CHAOS_BODY, attempt.path("response_snippet").asText());
                    seen = true;
                }
            }
        }
        assertTrue(seen, "a 500 attempt is in some history");
    }
}
