package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.store.postgres.PostgresSettings;
import relay.store.postgres.PostgresStore;
import relay.testing.Await;
import relay.testing.Postgres;
import relay.testing.RunningApp;

/**
 * Two instances on one PostgreSQL database, as behind a load balancer: what is done through one shows on the other
 * at once (its event stream, {@code ?wait=true}, the configuration, names), carried by the hints between them, and
 * what a missed hint leaves behind is caught up by the periodic checks.
 */
class TwoInstancesTest {
    private static final String PHONE = "+5511999990001";
    /** The bound for a change made on one instance to show on another. */
    private static final Duration LIVE = Duration.ofSeconds(1);

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private final Postgres.Database database = Postgres.newDatabase();
    private final Receiver receiver = new Receiver();
    private final List<AutoCloseable> opened = new ArrayList<>();

    /**
     * Answers 200 at once to {@code /b}, and keeps requests to {@code /a} waiting until released: instance A posts to
     * one and B to the other, so the test knows which instance made each attempt and can keep A's one slot busy.
     */
    private static final class Receiver extends Dispatcher {
        final CountDownLatch release = new CountDownLatch(1);
        final BlockingQueue<String> heldFromA = new LinkedBlockingQueue<>();
        final Set<String> fromB = ConcurrentHashMap.newKeySet();
        final BlockingQueue<String> arrived = new LinkedBlockingQueue<>();

        @Override
        public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            String id = request.getHeaders().get("webhook-id");
            arrived.add(id);
            if (request.getTarget().startsWith("/a")) {
                heldFromA.add(id);
                release.await();
            } else {
                fromB.add(id);
            }
            return new MockResponse.Builder().code(200).body("{\"ok\":true}").build();
        }

        @Override
        public void close() {
            release.countDown();
        }
    }

    private RunningApp start(String name, Map<String, String> settings) throws IOException {
        Map<String, String> values = new HashMap<>(settings);
        values.put("DATABASE_URL", database.url());
        values.put("WEBHOOK_TIMEOUT", "30");
        RunningApp app = RunningApp.start(dir.resolve(name), values);
        opened.add(0, app);
        return app;
    }

    private EventStreamTest.Listener listen(RunningApp app) throws Exception {
        EventStreamTest.Listener listener = new EventStreamTest.Listener(app.uri("/chat/events"));
        opened.add(0, listener);
        listener.next("circuit", c -> true);
        return listener;
    }

    @AfterEach
    void stop() throws Exception {
        receiver.close();
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    @Test
    void shouldShowOnBAMessageSentThroughAWithinASecondAndThenItsDeliveredMark() throws Exception {
        webhook.setDispatcher(receiver);
        RunningApp a = start("a", Map.of("WEBHOOK_URL", webhook.url("/b").toString()));
        // Without a webhook B never claims: all it shows of the message comes from A.
        RunningApp b = start("b", Map.of());
        EventStreamTest.Listener onB = listen(b);

        String id = a.sendText(PHONE, "sent through A");
        JsonNode shown = onB.next("message", m -> m.path("id").asText().equals(id), LIVE);
        assertEquals(PHONE, shown.path("phone").asText());
        assertEquals(id, shown.path("conversation").path("last_message").path("id").asText(), shown.toString());
        assertEquals(id, receiver.arrived.poll(10, TimeUnit.SECONDS));

        onB.next("message", m -> m.path("id").asText().equals(id) && m.path("status").asText().equals("delivered"),
                LIVE);
        assertEquals("delivered", json(b.get("/chat/messages/" + id)).path("status").asText());
    }

    @Test
    void shouldAnswerWaitThroughAWithTheAttemptBMadeAsAWouldAnswerItsOwn() throws Exception {
        webhook.setDispatcher(receiver);
        RunningApp b = start("b", Map.of("WEBHOOK_URL", webhook.url("/b").toString()));
        RunningApp a = start("a", Map.of("WEBHOOK_URL", webhook.url("/a").toString(), "WEBHOOK_CONCURRENCY", "1"));
        keepBusy(a);

        JsonNode answer = json(a.postJson("/chat/messages?wait=true", "{\"phone\":\"" + PHONE + "\",\"text\":\"x\"}"));

        String id = answer.path("id").asText();
        assertTrue(receiver.fromB.contains(id), "B made the attempt: " + answer);
        assertEquals("delivered", answer.path("first_attempt").path("status").asText(), answer.toString());
        assertEquals(200, answer.path("first_attempt").path("status_code").asInt());
        assertTrue(answer.path("first_attempt").path("error").isNull());
        assertEquals("delivered", answer.path("status").asText());
        JsonNode local = json(b.postJson("/chat/messages?wait=true", "{\"phone\":\"" + PHONE + "\",\"text\":\"y\"}"));
        assertEquals(fieldNames(local), fieldNames(answer), "the same answer as an instance gives for its own");
        assertEquals(fieldNames(local.path("first_attempt")), fieldNames(answer.path("first_attempt")));
    }

    @Test
    void shouldApplyOnBTheConfigurationSavedOnAAndCatchUpWithOneSavedWithoutAHint() throws Exception {
        RunningApp a = start("a", Map.of());
        RunningApp b = start("b", Map.of());
        EventStreamTest.Listener onB = listen(b);

        HttpResponse<String> saved = a.send(a.request("/chat/config").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"webhook_timeout\":12}", StandardCharsets.UTF_8))
                .build());
        assertEquals(200, saved.statusCode(), saved.body());

        JsonNode event = onB.next("config", c -> true, LIVE);
        assertEquals("12", setting(event, "WEBHOOK_TIMEOUT").path("value").asText(), event.toString());
        assertEquals("saved", setting(json(b.get("/chat/config")), "WEBHOOK_TIMEOUT").path("source").asText());

        try (PostgresStore store = PostgresStore.open(database.jdbcUrl(), database.user(), database.password(),
                database.jdbcUrl(), InstantSource.system())) {
            new PostgresSettings(store).replace(Map.of("WEBHOOK_TIMEOUT", "13"));
        }
        b.await("/chat/config", config -> "13".equals(setting(config, "WEBHOOK_TIMEOUT").path("value").asText()));
        a.await("/chat/config", config -> "13".equals(setting(config, "WEBHOOK_TIMEOUT").path("value").asText()));
    }

    @Test
    void shouldShowOnBANameGivenOnA() throws Exception {
        RunningApp a = start("a", Map.of());
        RunningApp b = start("b", Map.of());
        EventStreamTest.Listener onB = listen(b);
        String id = b.sendText(PHONE, "hi");

        HttpResponse<String> named = a.send(a.request("/chat/contacts/" + PHONE.replace("+", "%2B"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"Ana\"}", StandardCharsets.UTF_8)).build());
        assertEquals(200, named.statusCode(), named.body());

        assertEquals("Ana", onB.next("contact", c -> true, LIVE).path("contact_name").asText());
        assertEquals("Ana", json(b.get("/chat/messages/" + id)).path("contact_name").asText());
    }

    @Test
    void shouldTellPagesToFetchAgainAfterLosingTheOtherInstancesHints() throws Exception {
        RunningApp a = start("a", Map.of());
        RunningApp b = start("b", Map.of());
        EventStreamTest.Listener onB = listen(b);

        Postgres.cutOff(database);
        Postgres.reconnect(database);

        onB.next("resync", r -> true);
        // A's pool may hand out a connection the cut ended before it notices: the first sends may answer 503.
        HttpResponse<String> sent = Await.until("A accepts again", () -> a.postJson("/chat/messages",
                "{\"phone\":\"" + PHONE + "\",\"text\":\"after the database came back\"}"),
                response -> response.statusCode() == 202);
        String id = json(sent).path("id").asText();
        onB.next("message", m -> m.path("id").asText().equals(id));
    }

    /** Sends through A until one of its attempts is held at the receiver: A's one slot is then taken. */
    private void keepBusy(RunningApp a) throws InterruptedException {
        for (int i = 0; i < 20; i++) {
            a.sendText("+55119999900" + (10 + i), "keeps a slot busy");
            String held = receiver.heldFromA.poll(200, TimeUnit.MILLISECONDS);
            if (held != null) {
                return;
            }
        }
        throw new AssertionError("A never made an attempt");
    }

    private static JsonNode setting(JsonNode config, String key) {
        for (JsonNode setting : config.path("settings")) {
            if (key.equals(setting.path("key").asText())) {
                return setting;
            }
        }
        throw new AssertionError(key + " is not listed: " + config);
    }

    private static List<String> fieldNames(JsonNode node) {
        assertNotNull(node);
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
