package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.testing.Await;
import relay.testing.ChaosReceiver;
import relay.testing.ChaosReceiver.Behaviour;
import relay.testing.Seed;

/**
 * An accepted message survives {@code kill -9}: the service runs as its own process, is killed without warning at a
 * random moment while it delivers to a slow receiver, and is started again on the same data folder — three times in
 * a row. Every accepted message reaches the receiver; a message sent twice carries the same {@code webhook-id} and
 * the same bytes; and only attempts in flight at the kill (deliveries the store shows as {@code sending}) are sent
 * twice.
 */
class KillNineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROUNDS = 3;
    private static final int MESSAGES = 500;
    private static final int CONCURRENCY = 8;
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();
    private final Random random = seed.random();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void shouldDeliverEveryAcceptedMessageAcrossThreeKills() throws Exception {
        try (ChaosReceiver receiver = new ChaosReceiver(request ->
                new Behaviour.Delayed(Duration.ofMillis(5), Behaviour.ok()))) {
            Map<String, String> env = Map.of("PORT", "0", "DATA_DIR", dir.resolve("data").toString(),
                    "WEBHOOK_URL", receiver.url("/hook"), "WEBHOOK_CONCURRENCY", String.valueOf(CONCURRENCY),
                    "WEBHOOK_RETRY_BASE_SECONDS", "1", "WEBHOOK_RETRY_MAX_SECONDS", "1", "DEMO_RECEIVER", "false",
                    // What was being sent at a kill is due again when its lease ends: short, for a short test.
                    "LEASE_SECONDS", "10");
            Set<String> accepted = new HashSet<>();
            int inFlightAtKills = 0;
            AppProcess app = AppProcess.start(dir, env);
            for (int round = 1; round <= ROUNDS; round++) {
                int port = app.awaitStarted();
                int before = receiver.received().size();
                accepted.addAll(sendMessages(port, round));
                awaitReceived(receiver, before + 50 + random.nextInt(MESSAGES - 100));
                app.kill();
                app.awaitExit();
                inFlightAtKills += sendingInStore();

                app = AppProcess.start(dir, env);
                awaitAllDelivered(app.awaitStarted(), accepted.size());
            }
            app.terminate();
            app.awaitExit();

            assertEveryMessageArrivedIntact(receiver.received(), accepted, inFlightAtKills);
        }
    }

    /** Accepts {@link #MESSAGES} messages, one in ten with a PDF, from 16 clients at once. */
    private List<String> sendMessages(int port, int round) throws Exception {
        List<String> attachments = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            attachments.add(upload(port, round * 10 + i));
        }
        List<Future<String>> sent = new ArrayList<>();
        try (ExecutorService senders = Executors.newFixedThreadPool(16, Thread.ofVirtual().factory())) {
            for (int i = 0; i < MESSAGES; i++) {
                String body = i % 10 == 0
                        ? "{\"phone\":\"+5511999999999\",\"text\":\"file " + i + "\",\"attachment_id\":\""
                        + attachments.get(i % attachments.size()) + "\"}"
                        : "{\"phone\":\"+5511988887777\",\"text\":\"round " + round + " message " + i + "\"}";
                sent.add(senders.submit(() -> send(port, body)));
            }
        }
        List<String> ids = new ArrayList<>();
        for (Future<String> id : sent) {
            ids.add(id.get());
        }
        return ids;
    }

    private String send(int port, String body) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(port, "/chat/messages"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return JSON.readTree(response.body()).path("id").asText();
    }

    private String upload(int port, int seed) throws Exception {
        byte[] pdf = new byte[40_000];
        new Random(seed).nextBytes(pdf);
        System.arraycopy("%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII), 0, pdf, 0, 9);
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(port, "/chat/attachments"))
                .header("Content-Type", "application/pdf").header("X-Filename", "doc" + seed + ".pdf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(pdf)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, response.statusCode(), response.body());
        return JSON.readTree(response.body()).path("id").asText();
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static void awaitReceived(ChaosReceiver receiver, int count) {
        Await.until("the receiver got " + count + " requests", DEADLINE, () -> receiver.received().size(),
                received -> received >= count);
    }

    /** Deliveries the store shows mid-attempt: the only ones the receiver may have got without the store knowing. */
    private int sendingInStore() throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/chat.db"));
             ResultSet row = db.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM deliveries WHERE state = 'sending'")) {
            row.next();
            return row.getInt(1);
        }
    }

    private void awaitAllDelivered(int port, int total) {
        Await.until("all " + total + " messages delivered", DEADLINE, Duration.ofMillis(50), () -> queue(port),
                queue -> queue.path("delivered").asInt() == total);
    }

    private JsonNode queue(int port) {
        try {
            return JSON.readTree(client.send(HttpRequest.newBuilder(uri(port, "/chat/webhook-status")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).path("queue");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertEveryMessageArrivedIntact(List<ChaosReceiver.Received> received, Set<String> accepted,
                                                        int inFlightAtKills) {
        Map<String, Set<String>> bodiesById = new HashMap<>();
        for (ChaosReceiver.Received request : received) {
            bodiesById.computeIfAbsent(request.webhookId(), id -> new HashSet<>()).add(request.bodySha256());
        }
        Set<String> missing = new HashSet<>(accepted);
        missing.removeAll(bodiesById.keySet());
        Set<String> unexpected = new HashSet<>(bodiesById.keySet());
        unexpected.removeAll(accepted);
        assertTrue(missing.isEmpty(), missing.size() + " accepted messages never reached the receiver, e.g. "
                + missing.stream().limit(3).toList());
        assertTrue(unexpected.isEmpty(), "the receiver got messages nobody sent: " + unexpected.stream().limit(3).toList());
        bodiesById.forEach((id, bodies) -> assertEquals(1, bodies.size(), id + " was sent with different bodies"));
        int duplicates = received.size() - accepted.size();
        System.out.printf("%d messages, %d requests, %d duplicates, %d attempts in flight at the kills%n",
                accepted.size(), received.size(), duplicates, inFlightAtKills);
        assertTrue(duplicates <= inFlightAtKills, duplicates + " duplicates, but only " + inFlightAtKills
                + " attempts were in flight at the kills");
    }
}
