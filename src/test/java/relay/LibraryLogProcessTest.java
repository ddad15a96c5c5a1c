package relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Await;
import relay.testing.Postgres;

/**
 * On PostgreSQL the connection pool (HikariCP) logs through SLF4J: the service, as its own process, prints no
 * "SLF4J:" complaint about a missing provider, and a warning of the pool (connections broken when the database cuts
 * them off) comes out as one of our own JSON lines — with the database's password nowhere in the output.
 */
class LibraryLogProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldWriteThePoolsWarningsAsOurOwnLinesAndNoSlf4jComplaint() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        try (AppProcess app = AppProcess.start(dir, Map.of("PORT", "0", "DATA_DIR", dir.resolve("data").toString(),
                "DATABASE_URL", database.url(), "LOG_FORMAT", "json", "DEMO_RECEIVER", "false"));
             HttpClient client = HttpClient.newHttpClient()) {
            int port = app.awaitStarted();
            Postgres.cutOff(database);
            try {
                Await.until("a warning of the pool", Duration.ofSeconds(30), () -> {
                    health(client, port);
                    return app.lines();
                }, lines -> lines.stream().anyMatch(line -> line.contains("\"event\":\"library.warning\"")));
            } finally {
                Postgres.reconnect(database);
            }
            app.terminate();
            app.awaitExit();

            for (String line : app.lines()) {
                JsonNode parsed = JSON.readTree(line);
                assertFalse(parsed.path("event").isMissingNode(), "not one of our lines: " + line);
            }
            JsonNode warning = app.lines().stream().map(LibraryLogProcessTest::parse)
                    .filter(line -> line.path("event").asText().equals("library.warning")).findFirst().orElseThrow();
            assertEquals("WARNING", warning.path("level").asText());
            assertEquals("com.zaxxer.hikari", warning.path("logger").asText().substring(0, 17), warning.toString());
            assertFalse(app.output().contains("SLF4J"), app.output());
            assertFalse(app.output().contains(database.password()), "the password never appears");
        }
    }

    private static void health(HttpClient client, int port) {
        try {
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException(line, e);
        }
    }
}
