package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static relay.testing.RunningApp.json;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.LogCapture;
import relay.testing.RunningApp;
import relay.testing.SqliteOnly;

/**
 * chat.db locked by another connection (a backup tool, someone's sqlite3 left in a transaction): once the busy
 * timeout (5 s) passes, a write answers 503 with Retry-After, not 500, and the first write after the lock is let go
 * succeeds.
 */
@SqliteOnly("holds chat.db's write lock from a second SQLite connection")
class BusyDatabaseTest {
    private static final String PHONE = "+5511999999999";

    @TempDir
    Path dir;

    @Test
    void shouldAnswer503WithRetryAfterWhileAnotherConnectionHoldsTheWriteLock() throws Exception {
        Path dataDir = dir.resolve("data");
        try (LogCapture log = LogCapture.start(); RunningApp app = RunningApp.start(dataDir, Map.of())) {
            app.sendText(PHONE, "before the lock");
            HttpResponse<String> refused;
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("chat.db"));
                 Statement lock = other.createStatement()) {
                lock.execute("BEGIN EXCLUSIVE");

                refused = app.postJson("/chat/messages", "{\"phone\":\"" + PHONE + "\",\"text\":\"locked out\"}");

                HttpResponse<String> health = app.get("/healthz");
                assertEquals(503, health.statusCode());
                assertEquals("degraded", json(health).path("status").asText(), health.body());
                assertEquals("busy", json(health).path("store").asText(), health.body());
                lock.execute("ROLLBACK");
            }

            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals("store_busy", json(refused).path("error").path("code").asText());
            app.sendText(PHONE, "after the lock");
            assertEquals(2, json(app.get("/chat/messages?phone=%2B5511999999999")).path("messages").size());
            assertEquals(200, app.get("/healthz").statusCode());
            assertEquals(1, log.events("store.busy").size(), log.text());
            assertEquals(1, log.events("store.recovered").size(), log.text());
            assertFalse(log.text().contains("\tat "), "no stack trace: " + log.text());
        }
    }
}
