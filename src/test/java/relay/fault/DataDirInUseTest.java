package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.store.sqlite.SqliteStore;
import relay.testing.SqliteOnly;

/**
 * One process per DATA_DIR: two services on one folder would both deliver the same messages. The second start exits
 * 2 with one line naming the holder; a holder killed with {@code kill -9} leaves nothing that blocks the next start.
 */
@SqliteOnly("DATA_DIR's lock keeps a second process off SQLite's files; instances share PostgreSQL")
class DataDirInUseTest {
    @TempDir
    Path dir;

    private Map<String, String> env() {
        return Map.of("PORT", "0", "DATA_DIR", dataDir().toString(), "DEMO_RECEIVER", "false");
    }

    private Path dataDir() {
        return dir.resolve("data");
    }

    @Test
    void shouldRefuseASecondProcessWithOneLineNamingTheHolder() throws Exception {
        try (AppProcess first = AppProcess.start(dir, env())) {
            int port = first.awaitStarted();

            try (AppProcess second = AppProcess.start(dir, env())) {
                assertEquals(2, second.awaitExit());
                assertOneLineNaming(second.lines(), first.pid());
            }

            assertEquals(200, healthz(port), "the first one goes on serving");
        }
    }

    @Test
    void shouldStartWhereAKilledProcessHeldTheFolder() throws Exception {
        try (AppProcess killed = AppProcess.start(dir, env())) {
            killed.awaitStarted();
            killed.kill();
            killed.awaitExit();
        }

        try (AppProcess next = AppProcess.start(dir, env())) {
            assertEquals(200, healthz(next.awaitStarted()), "nothing left behind blocks it: " + next.output());
        }
    }

    /** Refusing a second outbox inside this JVM must not drop this JVM's lock, which another process then sees. */
    @Test
    void shouldKeepHoldingTheFolderAfterRefusingASecondOutboxInTheSameProcess() throws Exception {
        try (SqliteStore held = SqliteStore.open(dataDir(), InstantSource.system())) {
            IOException refused = assertThrows(IOException.class,
                    () -> SqliteStore.open(dataDir(), InstantSource.system()));
            assertTrue(refused.getMessage().contains(" is in use by pid " + ProcessHandle.current().pid() + " "),
                    refused.getMessage());

            try (AppProcess other = AppProcess.start(dir, env())) {
                assertEquals(2, other.awaitExit());
                assertOneLineNaming(other.lines(), ProcessHandle.current().pid());
            }
            assertTrue(held.isReachable(), "the outbox that holds the folder still works");
        }
    }

    private void assertOneLineNaming(List<String> lines, long holderPid) {
        assertEquals(1, lines.size(), "one line: " + lines);
        String expected = "start-up error: DATA_DIR " + Pattern.quote(dataDir().toString()) + " is in use by pid "
                + holderPid + " on host \\S+ since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; stop it first or use"
                + " another DATA_DIR";
        assertTrue(lines.getFirst().matches(expected), lines.getFirst());
    }

    private static int healthz(int port) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }
}
