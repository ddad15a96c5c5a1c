package relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.config.ConfigLoader;
import relay.log.LineFormatter;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * A Telegram-style webhook URL carries the bot's token as its first path segment: it must show on no output — the
 * logs in either format, the status and configuration the settings page shows, attempt errors and response
 * snippets (even when the receiver echoes the path back), redirect targets, configuration errors.
 */
class SecretUrlTest {
    private static final String TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    private static final String PATH = "/bot" + TOKEN + "/sendMessage";
    /** Any of these on an output would give the token away, or part of it. */
    private static final List<String> SECRETS = List.of(TOKEN, "bot123456789", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            "AAHd", "sendMessage");
    private static final String PHONE = "+5511999999999";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private final Logger relayLogger = Logger.getLogger("relay");
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLogs() {
        relayLogger.addHandler(capture);
    }

    @AfterEach
    void releaseLogs() {
        relayLogger.removeHandler(capture);
    }

    @Test
    void shouldShowTheWebhookUrlOnEveryOutputAsItsOriginOnly() throws Exception {
        QueueDispatcher responses = Webhooks.answerOkUnlessScripted(webhook);
        responses.enqueue(new MockResponse.Builder().code(404)
                .body("{\"ok\":false,\"description\":\"Not Found: POST " + PATH + "\u001b[2J\"}").build());
        responses.enqueue(new MockResponse.Builder().code(301)
                .addHeader("Location", "https://api.telegram.org" + PATH + "?again=1").build());
        String origin = "http://" + webhook.getHostName() + ":" + webhook.getPort();
        Map<String, String> outputs = new LinkedHashMap<>();
        try (RunningApp app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url(PATH).toString(),
                "WEBHOOK_MAX_RETRIES", "0", "CIRCUIT_FAILURE_THRESHOLD", "10"))) {
            String echoed = app.sendText(PHONE, "first");
            String redirected = app.sendText(PHONE, "second");
            app.awaitStatus(echoed, "failed");
            app.awaitStatus(redirected, "failed");

            outputs.put("/chat/webhook-status", app.get("/chat/webhook-status").body());
            outputs.put("/chat/config", app.get("/chat/config").body());
            outputs.put("message " + echoed, app.get("/chat/messages/" + echoed).body());
            outputs.put("message " + redirected, app.get("/chat/messages/" + redirected).body());
            outputs.put("thread", app.get("/chat/messages?phone=" + PHONE).body());
            outputs.put("/metrics", app.get("/metrics").body());
            assertEquals(origin + "/…", RunningApp.json(app.get("/chat/webhook-status")).path("webhook").path("url")
                    .asText());
            assertTrue(outputs.get("message " + echoed).contains("Not Found: POST …"), outputs.get("message " + echoed));
            assertTrue(outputs.get("message " + redirected).contains("redirect to https://api.telegram.org/… not "
                    + "followed"), outputs.get("message " + redirected));
        }
        List<String> textLog = new ArrayList<>();
        List<String> jsonLog = new ArrayList<>();
        logged.forEach(record -> {
            textLog.add(new LineFormatter(false).format(record));
            jsonLog.add(new LineFormatter(true).format(record));
        });
        outputs.put("text log", String.join("", textLog));
        outputs.put("JSON log", String.join("", jsonLog));

        assertTrue(outputs.get("text log").contains("webhook " + origin + "/…"), "the start-up line names the origin");
        assertTrue(outputs.get("text log").contains("\\u001b[2J"), "the receiver's escape sequence is escaped");
        assertFalse(outputs.get("text log").contains("\u001b"), "and never written raw");
        outputs.forEach((surface, text) -> SECRETS.forEach(secret ->
                assertFalse(text.contains(secret), surface + " shows " + secret + ":\n" + text)));
    }

    @Test
    void shouldMaskTheWebhookUrlInAConfigurationError() {
        ConfigLoader.Result result = ConfigLoader.load(dir.resolve("absent.env"),
                Map.of("WEBHOOK_URL", "https://api.telegram.org" + PATH + "#fragment"));

        List<String> problems = assertInstanceOf(ConfigLoader.Invalid.class, result).problems();

        assertTrue(problems.contains("WEBHOOK_URL=https://api.telegram.org/…: expected an absolute http:// or https:// "
                + "URL with a host"), problems.toString());
        SECRETS.forEach(secret -> assertFalse(problems.toString().contains(secret), problems.toString()));
    }

    /** DATABASE_URL carries the database's password: no output shows it, wherever the URL is shown. */
    @Test
    void shouldShowTheDatabaseUrlWithoutItsPassword() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        String url = database.url();
        String shown = "postgres://" + database.user() + "@" + url.substring(url.indexOf('@') + 1);
        Map<String, String> outputs = new LinkedHashMap<>();
        try (RunningApp app = RunningApp.start(dir, Map.of("DATABASE_URL", database.url()))) {
            String sent = app.sendText(PHONE, "stored in PostgreSQL");
            outputs.put("message " + sent, app.get("/chat/messages/" + sent).body());
            outputs.put("/chat/config", app.get("/chat/config").body());
            outputs.put("/chat/webhook-status", app.get("/chat/webhook-status").body());
            outputs.put("/healthz", app.get("/healthz").body());
            outputs.put("/metrics", app.get("/metrics").body());
        }
        outputs.put("text log", String.join("", logged.stream().map(new LineFormatter(false)::format).toList()));
        outputs.put("JSON log", String.join("", logged.stream().map(new LineFormatter(true)::format).toList()));
        ConfigLoader.Result broken = ConfigLoader.load(dir.resolve("absent.env"),
                Map.of("DATABASE_URL", database.url().replace("@", "@@")));
        outputs.put("configuration error", assertInstanceOf(ConfigLoader.Invalid.class, broken).problems().toString());

        assertTrue(outputs.get("/chat/config").contains(shown), outputs.get("/chat/config"));
        assertTrue(outputs.get("text log").contains("PostgreSQL at " + shown), outputs.get("text log"));
        outputs.forEach((surface, text) -> assertFalse(text.contains(database.password()),
                surface + " shows the database password:\n" + text));
    }
}
