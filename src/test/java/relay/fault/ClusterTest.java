package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static relay.fault.ConversationRun.assertInOrder;
import static relay.fault.ConversationRun.assertNothingLost;
import static relay.fault.ConversationRun.settings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.fault.ConversationRun.Accepted;
import relay.testing.Await;
import relay.testing.ConversationReceiver;
import relay.testing.Postgres;
import relay.testing.Seed;

/**
 * Three instances, each its own process, share one PostgreSQL database behind a client that sends round-robin
 * through them, as a load balancer would: 1,000 messages over 50 conversations to a receiver that fails some
 * requests. While they deliver, one instance is killed without warning ({@code kill -9}) and, later, another is
 * stopped gracefully (SIGTERM); the last one finishes the work. Every accepted message arrives, each conversation in
 * {@code sequence} order; the receiver never holds two requests of one message, nor of one phone, at once (so no two
 * instances ever attempted one message together); and a message arrives twice only if the killed instance was
 * sending it at the kill — with the same {@code webhook-id} and the same bytes.
 *
 * <p>A send that got no answer because its instance was going away may or may not have been accepted: the client
 * sends it again through another instance, as the page's outbox does, and the store's own list of each conversation
 * says afterwards what was accepted.
 */
class ClusterTest {
    private static final int INSTANCES = 3;
    private static final int PHONES = 50;
    private static final int PER_PHONE = 20;
    private static final int MESSAGES = PHONES * PER_PHONE;
    /** Three JVMs, PostgreSQL and the test on two cores; bounds only a failing run. */
    private static final Duration SETTLE_WITHIN = Duration.ofMinutes(4);
    /**
     * As {@link ConversationRun#FLAKY}, with answers taking up to 100 ms: attempts last long enough for the kill to
     * find some under way, and for two at once to overlap at the receiver if they ever came.
     */
    private static final ConversationReceiver.Chaos FLAKY = new ConversationReceiver.Chaos(0.2,
            Duration.ofMillis(100), 3);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();
    private final Random random = seed.random();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One instance: its name (its {@code INSTANCE_ID}), its process and its port. */
    private record Node(String name, AppProcess process, int port) {
        /** Whether a claim's {@code claimed_by} is this instance's: its {@code INSTANCE_ID}, then "#" and this start's mark. */
        boolean owns(String claimedBy) {
            return claimedBy.startsWith(name + "#");
        }
    }

    /** What became of one send. */
    private sealed interface Sent {
        record Accepted(ConversationRun.Accepted message) implements Sent {
        }

        /** The instance was not running when the send was due: certainly not accepted. */
        record Refused(String why) implements Sent {
        }

        /** The request went out and no answer came back: perhaps accepted, perhaps not. */
        record Unanswered(String why) implements Sent {
        }
    }

    /** What the disruptions left: the messages the killed instance was sending when it died, and what they were. */
    private record Disruption(Node killed, Node stopped, Set<String> sendingAtKill, Set<String> sendingAfterStop) {
    }

    @Test
    void shouldDeliverEveryMessageInOrderOnceWhileOneInstanceIsKilledAndAnotherStopped() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        List<String> order = ConversationRun.sendOrder(random, PHONES, PER_PHONE);
        int killAt = MESSAGES / 4 + random.nextInt(MESSAGES / 8);
        int stopAt = MESSAGES / 2 + random.nextInt(MESSAGES / 8);
        int victim = random.nextInt(INSTANCES);
        int stopped = (victim + 1 + random.nextInt(INSTANCES - 1)) % INSTANCES;
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), FLAKY);
             ConversationRun run = new ConversationRun();
             ExecutorService background = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Node> nodes = start(database, receiver);
            try {
                AtomicInteger sent = new AtomicInteger();
                CompletableFuture<Disruption> disruption = CompletableFuture.supplyAsync(() -> disrupt(database,
                        nodes.get(victim), killAt, nodes.get(stopped), stopAt, sent), background);
                Set<String> accepted = new HashSet<>();
                int unanswered = 0;
                for (int i = 0; i < order.size(); i++) {
                    List<Sent> tries = send(nodes, i, order.get(i), "cluster message " + i);
                    unanswered += (int) tries.stream().filter(Sent.Unanswered.class::isInstance).count();
                    if (tries.getLast() instanceof Sent.Accepted a) {
                        accepted.add(a.message().id());
                    }
                    sent.incrementAndGet();
                }
                Disruption disrupted = disruption.get(SETTLE_WITHIN.toSeconds(), TimeUnit.SECONDS);
                Node survivor = nodes.stream().filter(n -> n != disrupted.killed() && n != disrupted.stopped())
                        .findFirst().orElseThrow();

                Map<String, String> texts = new HashMap<>();
                List<Accepted> stored = run.stored(survivor.port(), ConversationRun.phones(PHONES), texts);
                JsonNode status = run.awaitSettled(survivor.port(), stored.size(), SETTLE_WITHIN);
                ConversationRun.report("cluster of " + INSTANCES + ", instance " + disrupted.killed().name()
                        + " killed after " + killAt + " sends (" + disrupted.sendingAtKill().size()
                        + " attempts in flight), " + disrupted.stopped().name() + " stopped after " + stopAt + " ("
                        + disrupted.sendingAfterStop().size() + " claims left); " + unanswered
                        + " sends unanswered, " + stored.size() + " messages stored", receiver);

                assertEquals(Set.of(), missingTexts(texts), "each of the " + MESSAGES + " texts was accepted");
                Set<String> storedIds = stored.stream().map(Accepted::id).collect(Collectors.toSet());
                assertTrue(storedIds.containsAll(accepted), "every 202 is in the store");
                assertTrue(stored.size() <= MESSAGES + unanswered, stored.size() + " stored, more than sent");
                assertNothingLost(status, receiver, stored);
                assertInOrder(receiver, stored);
                assertEquals(1, receiver.maxInFlightPerMessage(), "never two requests of one message at once");
                assertEquals(1, receiver.maxInFlightPerPhone(), "never two requests of one phone at once");
                ConversationRun.assertOnlyTheseArrivedTwice(receiver, disrupted.sendingAtKill());
            } finally {
                nodes.forEach(node -> node.process().close());
            }
        }
    }

    /** Starts the instances together and waits until each listens. */
    private List<Node> start(Postgres.Database database, ConversationReceiver receiver) throws Exception {
        List<String> names = new ArrayList<>();
        List<AppProcess> processes = new ArrayList<>();
        for (int n = 0; n < INSTANCES; n++) {
            String name = "node-" + (char) ('a' + n);
            Path home = Files.createDirectories(dir.resolve(name));
            Map<String, String> env = new HashMap<>(settings("conversation", receiver));
            env.putAll(Map.of("PORT", "0", "DATA_DIR", home.resolve("data").toString(), "DEMO_RECEIVER", "false",
                    "DATABASE_URL", database.url(),
                    // Where the service knows these keys, a short lease makes the takeover quick and the instances
                    // name themselves; where it does not, they are ignored (the lease is then App's own).
                    "LEASE_SECONDS", "5", "INSTANCE_ID", name));
            names.add(name);
            processes.add(AppProcess.start(home, env, "-Xmx256m"));
        }
        List<Node> nodes = new ArrayList<>();
        for (int n = 0; n < INSTANCES; n++) {
            nodes.add(new Node(names.get(n), processes.get(n), processes.get(n).awaitStarted()));
        }
        return nodes;
    }

    /**
     * Sends text number {@code i} round-robin, as a load balancer would: to the next instance, or, when that one does
     * not take it, to the one after. Returns every try, the last one accepted.
     */
    private List<Sent> send(List<Node> nodes, int i, String phone, String text) {
        List<Sent> tries = new ArrayList<>();
        while (tries.size() < 3 * INSTANCES) {
            Node node = nodes.get((i + tries.size()) % INSTANCES);
            Sent sent = node.process().isAlive() ? send(node.port(), phone, text) : new Sent.Refused("not running");
            tries.add(sent);
            if (sent instanceof Sent.Accepted) {
                return tries;
            }
        }
        return fail("text " + i + " was taken by no instance: " + tries);
    }

    private Sent send(int port, String phone, String text) {
        String body = JSON.createObjectNode().put("phone", phone).put("text", text).toString();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/chat/messages"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // A refused connection too: the JDK client sends a request again, once, when its reused connection closes
            // before any answer — as it does when the instance died after storing the message but before answering —
            // and that second try is what meets the closed port.
            return new Sent.Unanswered(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertEquals(202, response.statusCode(), "a running instance takes every message: " + response.body());
        JsonNode view = json(response.body());
        return new Sent.Accepted(new Accepted(view.path("id").asText(), view.path("phone").asText(),
                view.path("sequence").asLong()));
    }

    /**
     * Once {@code killAt} texts are sent, kills {@code victim} and notes what it was sending; once {@code stopAt}
     * are, stops {@code stopped} gracefully (it exits 0) and notes the claims it left.
     */
    private Disruption disrupt(Postgres.Database database, Node victim, int killAt, Node stopped, int stopAt,
                               AtomicInteger sent) {
        try {
            Await.until(killAt + " texts sent", SETTLE_WITHIN, sent::get, n -> n >= killAt);
            // Killed while it has attempts under way, so that the others have to take its claims over.
            Await.until(victim.name() + " sending", SETTLE_WITHIN, Duration.ofMillis(5),
                    () -> sendingBy(database, victim), ids -> !ids.isEmpty());
            victim.process().kill();
            victim.process().awaitExit();
            Set<String> sendingAtKill = sendingBy(database, victim);
            Await.until(stopAt + " texts sent", SETTLE_WITHIN, sent::get, n -> n >= stopAt);
            stopped.process().terminate();
            assertEquals(0, stopped.process().awaitExit(), "a graceful stop exits 0:\n" + stopped.process().output());
            return new Disruption(victim, stopped, sendingAtKill, sendingBy(database, stopped));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The deliveries the store shows {@code node} sending: the only ones it may have sent without the store knowing. */
    private static Set<String> sendingBy(Postgres.Database database, Node node) {
        Set<String> ids = new HashSet<>();
        try (Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             Statement statement = db.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT message_id, claimed_by FROM deliveries WHERE state = 'sending'")) {
            while (rows.next()) {
                if (node.owns(rows.getString(2))) {
                    ids.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    private static Set<String> missingTexts(Map<String, String> texts) {
        Set<String> missing = new HashSet<>();
        for (int i = 0; i < MESSAGES; i++) {
            missing.add("cluster message " + i);
        }
        missing.removeAll(texts.values());
        return missing;
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }
}
