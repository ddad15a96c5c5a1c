package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static relay.testing.RunningApp.json;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * The PostgreSQL database goes away while the service runs (its connections ended, new ones refused): requests that
 * need it answer 503 {@code store_unavailable} with {@code Retry-After}, never 500, and {@code /healthz} says the store
 * is unreachable; once the database is back, the service carries on by itself, with nothing lost.
 */
class PostgresOutageTest {
    private static final String PHONE = "+5511999999999";

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
}
