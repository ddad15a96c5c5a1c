package relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.config.ConfigLoader;
import relay.testing.Forms;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * {@code copy-to-postgres}: a SQLite installation filled through the API (texts, an attachment sent as a signed link,
 * a failed delivery, a contact, a saved setting), copied into an empty PostgreSQL database, serves the same
 * messages, statuses, attempts, bytes, contact and setting from PostgreSQL — and its links still open. A second copy
 * into the same database is refused and changes nothing.
 */
class CopyToPostgresTest {
    private static final String PHONE = "+5511999999999";
    private static final String OTHER_PHONE = "+5521988887777";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private final Postgres.Database database = Postgres.newDatabase();

    private record Copy(int exit, String out, String err) {
    }

    private Copy copy(Map<String, String> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CopyToPostgres.run(ConfigLoader.fromValues(values), InstantSource.system(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Copy(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Map<String, String> copySettings() {
        return Map.of("DATA_DIR", dir.resolve("sqlite").toString(), "DATABASE_URL", database.url());
    }

    @Test
    void shouldServeFromPostgresWhatSqliteHeldAfterTheCopy() throws Exception {
        QueueDispatcher responses = Webhooks.answerOkUnlessScripted(webhook);
        Map<String, String> settings = new HashMap<>(Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_MAX_RETRIES", "0", "WEBHOOK_ATTACHMENTS", "url"));
        List<String> ids = new ArrayList<>();
        String attachmentId;
        String link;
        try (RunningApp sqlite = RunningApp.start(dir.resolve("sqlite"), settings)) {
            ids.add(sqlite.sendText(PHONE, "first"));
            sqlite.awaitStatus(ids.getLast(), "delivered");
            responses.enqueue(new MockResponse.Builder().code(500).build());
            ids.add(sqlite.sendText(PHONE, "fails for good"));
            sqlite.awaitStatus(ids.getLast(), "failed");
            HttpResponse<String> upload = sqlite.upload(Forms.PDF, "application/pdf", "contract.pdf");
            attachmentId = json(upload).path("id").asText();
            ids.add(json(sqlite.postJson("/chat/messages", "{\"phone\":\"" + OTHER_PHONE + "\",\"text\":\"the"
                    + " contract\",\"attachment_id\":\"" + attachmentId + "\"}")).path("id").asText());
            sqlite.awaitStatus(ids.getLast(), "delivered");
            link = linkIn(lastRequest());
            assertEquals(200, sqlite.send(sqlite.request("/chat/contacts/%2B5511999999999")
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"Ana Souza\"}")).build()).statusCode());
            assertEquals(200, sqlite.send(sqlite.request("/chat/config").header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"webhook_timeout\":12}")).build()).statusCode());
        }
        Map<String, JsonNode> before = new HashMap<>();
        try (RunningApp sqlite = RunningApp.start(dir.resolve("sqlite"), settings)) {
            for (String id : ids) {
                before.put(id, json(sqlite.get("/chat/messages/" + id)));
            }
        }

        Copy copied = copy(copySettings());

        assertEquals(0, copied.exit(), copied.err());
        assertTrue(copied.out().contains(": 1 attachment (1 file, "), copied.out());
        assertTrue(copied.out().contains("3 messages, 3 deliveries, 3 attempts"), copied.out());
        assertTrue(copied.out().contains("1 contact"), copied.out());
        assertFalse(copied.out().contains(database.password()), "the password never appears");
        settings.put("DATABASE_URL", database.url());
        try (RunningApp postgres = RunningApp.start(dir.resolve("postgres"), settings)) {
            for (String id : ids) {
                assertEquals(before.get(id), json(postgres.get("/chat/messages/" + id)), id);
            }
            HttpResponse<byte[]> bytes = postgres.getBytes("/chat/attachments/" + attachmentId);
            assertEquals(200, bytes.statusCode());
            assertArrayEquals(Forms.PDF, bytes.body());
            URI signed = URI.create(link);
            assertArrayEquals(Forms.PDF, postgres.getBytes(signed.getRawPath() + "?" + signed.getRawQuery()).body(),
                    "a link sent before the copy still opens");
            assertEquals("Ana Souza", json(postgres.get("/chat/contacts/%2B5511999999999")).path("contact_name")
                    .asText());
            assertEquals(12, json(postgres.get("/chat/webhook-status")).path("webhook").path("timeout_seconds")
                    .asInt());
            String next = postgres.sendText(PHONE, "after the move");
            assertEquals(3, postgres.awaitStatus(next, "delivered").path("sequence").asInt(),
                    "numbering goes on where SQLite left it");
        }
    }

    @Test
    void shouldRefuseToCopyIntoADatabaseThatHoldsDataAlready() throws Exception {
        Webhooks.answerOkUnlessScripted(webhook);
        Map<String, String> settings = Map.of("WEBHOOK_URL", webhook.url("/hook").toString());
        try (RunningApp sqlite = RunningApp.start(dir.resolve("sqlite"), settings)) {
            sqlite.awaitStatus(sqlite.sendText(PHONE, "once"), "delivered");
        }
        assertEquals(0, copy(copySettings()).exit());

        Copy again = copy(copySettings());

        assertEquals(2, again.exit());
        assertEquals("copy-to-postgres: the PostgreSQL database at " + masked() + " is not empty: it holds messages"
                + " already; copy into an empty database; nothing was copied\n", again.err());
        try (RunningApp postgres = RunningApp.start(dir.resolve("postgres"), Map.of("DATABASE_URL", database.url()))) {
            assertEquals(1, json(postgres.get("/chat/conversations")).path("conversations").get(0).path("total")
                    .asInt(), "nothing was copied twice");
        }
    }

    @Test
    void shouldCopyNothingWhenAFileIsDamagedAndEverythingOnceItIsRestored() throws Exception {
        String sha256;
        try (RunningApp sqlite = RunningApp.start(dir.resolve("sqlite"), Map.of())) {
            sha256 = json(sqlite.upload(Forms.PDF, "application/pdf", "a.pdf")).path("sha256").asText();
            sqlite.sendText(PHONE, "queued: no webhook is set");
        }
        Path file = dir.resolve("sqlite").resolve("attachments").resolve(sha256);
        byte[] original = Files.readAllBytes(file);
        Files.write(file, "not the same bytes".getBytes(StandardCharsets.UTF_8));

        Copy damaged = copy(copySettings());

        assertEquals(1, damaged.exit());
        assertTrue(damaged.err().contains(sha256 + " do not match its SHA-256"), damaged.err());
        Files.write(file, original);
        Copy restored = copy(copySettings());
        assertEquals(0, restored.exit(), restored.err());
        assertTrue(restored.out().contains("1 message, 1 delivery, 0 attempts"), restored.out());
    }

    @Test
    void shouldRefuseWhileTheServiceRunsOnTheFolderOrWithoutADatabase() throws Exception {
        try (RunningApp sqlite = RunningApp.start(dir.resolve("sqlite"), Map.of())) {
            Copy beside = copy(copySettings());

            assertEquals(2, beside.exit());
            assertTrue(beside.err().startsWith("copy-to-postgres: DATA_DIR "), beside.err());
            assertTrue(beside.err().contains(" is in use by pid "), beside.err());
        }
        Copy nowhere = copy(Map.of("DATA_DIR", dir.resolve("sqlite").toString()));

        assertEquals(2, nowhere.exit());
        assertTrue(nowhere.err().startsWith("copy-to-postgres: DATABASE_URL is not set"), nowhere.err());
    }

    private String masked() {
        return "postgres://" + database.user() + "@" + URI.create(database.jdbcUrl().substring(5)).getAuthority()
                + "/" + database.name();
    }

    private RecordedRequest lastRequest() throws InterruptedException {
        RecordedRequest last = null;
        for (RecordedRequest next; (next = webhook.takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
            last = next;
        }
        return last;
    }

    private static String linkIn(RecordedRequest request) throws Exception {
        return new ObjectMapper().readTree(request.getBody().utf8()).path("data").path("attachment").path("url")
                .asText();
    }
}
