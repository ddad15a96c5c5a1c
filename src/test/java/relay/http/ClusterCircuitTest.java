package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * Two instances on one PostgreSQL share one circuit: failures of attempts made by either open it on both — their
 * status and their pages' live monitor say so — and a reset on one closes it on the other within a second.
 */
class ClusterCircuitTest {
    private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    @Test
    void shouldOpenOnBothInstancesAndCloseOnBothWhenOneIsReset() throws Exception {
        QueueDispatcher responses = Webhooks.answerOkUnlessScripted(webhook);
        responses.enqueue(new MockResponse.Builder().code(503).build());
        responses.enqueue(new MockResponse.Builder().code(503).build());
        Postgres.Database database = Postgres.newDatabase();
        Map<String, String> settings = Map.of("DATABASE_URL", database.url(),
                "WEBHOOK_URL", webhook.url("/hook").toString(), "CIRCUIT_FAILURE_THRESHOLD", "2",
                "CIRCUIT_OPEN_SECONDS", "3600", "WEBHOOK_MAX_RETRIES", "0");
        try (RunningApp a = RunningApp.start(dir.resolve("a"), settings);
             RunningApp b = RunningApp.start(dir.resolve("b"), settings);
             EventStreamTest.Listener pageOnB = new EventStreamTest.Listener(b.uri("/chat/events"))) {
            assertEquals("closed", pageOnB.next("circuit", circuit -> true).path("state").asText());

            a.awaitStatus(a.sendText("+5511999999901", "fails through A"), "failed");
            b.awaitStatus(b.sendText("+5511999999902", "fails through B"), "failed");

            for (RunningApp instance : new RunningApp[] {a, b}) {
                JsonNode circuit = instance.await("/chat/webhook-status",
                        status -> "open".equals(status.path("circuit").path("state").asText())).path("circuit");
                assertEquals(2, circuit.path("consecutive_failures").asInt(), circuit.toString());
            }
            pageOnB.next("circuit", circuit -> "open".equals(circuit.path("state").asText()));

            assertEquals(200, a.post("/chat/reset-webhook-circuit").statusCode());

            b.await("/chat/webhook-status", status -> "closed".equals(status.path("circuit").path("state").asText()),
                    WITHIN_A_SECOND);
            pageOnB.next("circuit", circuit -> "closed".equals(circuit.path("state").asText()));
            String after = b.sendText("+5511999999903", "after the reset");
            assertEquals("delivered", b.awaitStatus(after, "delivered").path("status").asText());
            assertEquals(3, webhook.getRequestCount(), "nothing was sent while the circuit was open");
            assertEquals("closed", json(a.get("/chat/webhook-status")).path("circuit").path("state").asText());
        }
    }
}
