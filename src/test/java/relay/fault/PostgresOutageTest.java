package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.fault.ConversationRun.assertInOrder;
import static relay.fault.ConversationRun.assertNothingLost;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.fault.ConversationRun.Accepted;
import relay.testing.Await;
import relay.testing.ConversationReceiver;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * The PostgreSQL database goes away while the service runs: requests that need it answer 503
 * {@code store_unavailable} with {@code Retry-After}, never 500, and {@code /healthz} says the store is unreachable;
 * once the database is back, the service carries on by itself, with nothing lost. First with its connections ended
 * and new ones refused, then with the server itself stopped for ten seconds under two instances taking messages.
 */
class PostgresOutageTest {
    private static final String PHONE = "+5511999999999";
    /** How long the server stays stopped: as long as an operator's restart of it takes, or longer. */
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    private static final int INSTANCES = 2;
    private static final List<String> PHONES = ConversationRun.phones(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    @Test
    void shouldAnswer503WhileTheDatabaseIsAwayAndCarryOnByItselfWhenItIsBack() throws Exception {
        Webhooks.answerOkUnlessScripted(webhook);
        Postgres.Database database = Postgres.newDatabase();
        try (RunningApp app = RunningApp.start(dir.resolve("data"), Map.of("DATABASE_URL", database.url(),
                "WEBHOOK_URL", webhook.url("/hook").toString()))) {
            String before = app.sendText(PHONE, "before the outage");
            app.awaitStatus(before, "delivered");

            Postgres.cutOff(database);
            try {
                HttpResponse<String> refused = app.postJson("/chat/messages",
                        "{\"phone\":\"" + PHONE + "\",\"text\":\"while the database is away\"}");
                assertEquals(503, refused.statusCode(), refused.body());
                assertEquals("store_unavailable", json(refused).path("error").path("code").asText());
                assertEquals("30", refused.headers().firstValue("Retry-After").orElseThrow());
                HttpResponse<String> health = app.get("/healthz");
                assertEquals(503, health.statusCode(), health.body());
                assertEquals("unreachable", json(health).path("store").asText(), health.body());
                assertFalse(json(health).path("database").path("reachable").asBoolean(), health.body());
            } finally {
                Postgres.reconnect(database);
            }

            app.await("/healthz", health -> "ok".equals(health.path("status").asText()));
            String after = app.sendText(PHONE, "after the outage");
            app.awaitStatus(after, "delivered");
            assertEquals("delivered", app.awaitStatus(before, "delivered").path("status").asText());
            assertEquals(2, webhook.getRequestCount(), "each message once; the refused one was never stored");
        }
    }

    /**
     * The server stopped ({@code pg_ctl stop}) for ten seconds and started again while two instances, each its own
     * process, take a steady stream of messages and reads: every answer is a success or a 503 with
     * {@code Retry-After}, neither instance exits or stops answering, and once the server is back every message
     * that was accepted is delivered, each conversation in order. A send answered 503 while the server went away
     * may still have been stored (its commit got through, its answer did not): the store's own lists say.
     */
    @Test
    void shouldAnswer503ThroughATenSecondStopOfTheServerAndDeliverEverythingAfterIt() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        try (ConversationReceiver receiver = new ConversationReceiver(0, ConversationReceiver.Chaos.NONE);
             ConversationRun run = new ConversationRun();
             Clients clients = new Clients()) {
            List<AppProcess> instances = new ArrayList<>();
            try {
                for (int n = 0; n < INSTANCES; n++) {
                    Path home = Files.createDirectories(dir.resolve("instance-" + n));
                    Map<String, String> env = new HashMap<>(ConversationRun.settings("conversation", receiver));
                    env.putAll(Map.of("PORT", "0", "DATA_DIR", home.resolve("data").toString(),
                            "DEMO_RECEIVER", "false", "DATABASE_URL", database.url()));
                    instances.add(AppProcess.start(home, env, "-Xmx256m"));
                }
                for (AppProcess instance : instances) {
                    clients.start(instance.awaitStarted());
                }
                clients.awaitAccepted(20);

                Postgres.stopServer();
                long stoppedAt = System.nanoTime();
                try {
                    Await.until("the server stopped for " + OUTAGE.toSeconds() + " s, and every instance answered"
                            + " 503 meanwhile", OUTAGE.multipliedBy(6), Duration.ofMillis(100),
                            () -> clients.refusedByEvery() && System.nanoTime() - stoppedAt >= OUTAGE.toNanos(),
                            done -> done);
                } finally {
                    Postgres.startServer();
                }
                int acceptedBeforeRestart = clients.accepted().size();
                clients.awaitAccepted(acceptedBeforeRestart + 20);
                clients.stop();

                Map<String, String> texts = new HashMap<>();
                List<Accepted> stored = run.stored(clients.ports.getFirst(), PHONES, texts);
                JsonNode status = null;
                for (int port : clients.ports) {
                    status = run.awaitSettled(port, stored.size());
                }
                ConversationRun.report("server stopped " + OUTAGE.toSeconds() + " s: " + clients.answers.size()
                        + " answers (" + clients.count(503) + " of them 503), " + stored.size() + " stored, "
                        + receiver.duplicates().size() + " acknowledged twice", receiver);

                assertEquals(List.of(), clients.unexpected(), "only successes and 503 with Retry-After");
                instances.forEach(instance -> assertTrue(instance.isAlive(), "no instance exits:\n"
                        + instance.output()));
                Set<String> storedIds = stored.stream().map(Accepted::id).collect(Collectors.toSet());
                assertTrue(storedIds.containsAll(clients.accepted()), "every 202 is in the store");
                assertTrue(clients.sentTexts().containsAll(texts.values()), "the store holds only what was sent");
                assertNothingLost(status, receiver, stored);
                assertInOrder(receiver, stored);
                // An attempt answered while the server was away could not record its outcome: sent again after.
                ConversationRun.assertOnlyTheseArrivedTwice(receiver, clients.accepted().subList(0,
                        acceptedBeforeRestart).stream().collect(Collectors.toSet()));
            } finally {
                instances.forEach(AppProcess::close);
            }
        }
    }

    /** One client per instance, each sending texts to {@link #PHONES} in turn and reading the status now and then. */
    private static final class Clients implements AutoCloseable {
        /** One answer: its request, its status (-1 for none), and what came with it. */
        record Answer(int port, String request, int status, String retryAfter, String code, String id, String text,
                      String error) {
        }

        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final List<Future<?>> running = new ArrayList<>();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicInteger texts = new AtomicInteger();
        final List<Integer> ports = new CopyOnWriteArrayList<>();
        final List<Answer> answers = new CopyOnWriteArrayList<>();

        void start(int port) {
            ports.add(port);
            running.add(threads.submit(() -> {
                for (int k = 0; !stopping.get(); k++) {
                    answers.add(k % 5 == 4 ? get(port, "/chat/webhook-status") : sendText(port));
                }
            }));
        }

        private Answer sendText(int port) {
            int k = texts.getAndIncrement();
            String text = "outage message " + k;
            String body = "{\"phone\":\"" + PHONES.get(k % PHONES.size()) + "\",\"text\":\"" + text + "\"}";
            return call(port, "POST /chat/messages", text, HttpRequest.newBuilder(uri(port, "/chat/messages"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        private Answer get(int port, String path) {
            return call(port, "GET " + path, null, HttpRequest.newBuilder(uri(port, path)).GET());
        }

        private Answer call(int port, String what, String text, HttpRequest.Builder request) {
            try {
                HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(response.body());
                return new Answer(port, what, response.statusCode(),
                        response.headers().firstValue("Retry-After").orElse(null),
                        body.path("error").path("code").asText(null), body.path("id").asText(null), text, null);
            } catch (IOException e) {
                return new Answer(port, what, -1, null, null, null, text, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Answer(port, what, -1, null, null, null, text, e.toString());
            }
        }

        private static URI uri(int port, String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        /** The ids of the texts answered 202, in the order the answers came. */
        List<String> accepted() {
            return answers.stream().filter(a -> a.status() == 202).map(Answer::id).toList();
        }

        Set<String> sentTexts() {
            return answers.stream().map(Answer::text).filter(Objects::nonNull).collect(Collectors.toSet());
        }

        void awaitAccepted(int count) {
            Await.until(count + " texts accepted", Duration.ofSeconds(60), Duration.ofMillis(50),
                    () -> accepted().size(), n -> n >= count);
        }

        /** Whether every instance has answered 503 at least once since the last 202 it gave. */
        boolean refusedByEvery() {
            return ports.stream().allMatch(port -> {
                List<Answer> of = answers.stream().filter(a -> a.port() == port).toList();
                return !of.isEmpty() && of.getLast().status() == 503;
            });
        }

        long count(int status) {
            return answers.stream().filter(a -> a.status() == status).count();
        }

        /** Answers that are neither a success nor a 503 {@code store_unavailable} with {@code Retry-After}. */
        List<Answer> unexpected() {
            return answers.stream().filter(a -> !(a.status() == 200 || a.status() == 202
                    || a.status() == 503 && "store_unavailable".equals(a.code()) && a.retryAfter() != null)).toList();
        }

        void stop() throws Exception {
            stopping.set(true);
            for (Future<?> thread : running) {
                thread.get(60, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() {
            stopping.set(true);
            threads.shutdownNow();
            client.close();
        }
    }
}
