package relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainProcessTest {
    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("PORT", "0", "DATA_DIR", dir.resolve("data").toString()));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void shouldServeHealthAndExitZeroOnSigterm() throws Exception {
        try (AppProcess app = AppProcess.start(dir, env("WEBHOOK_URL", "https://api.example.com/webhook/7730a1b2c3d466aa"))) {
            int port = app.awaitStarted();
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> health = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
            }

            app.terminate();

            assertEquals(0, app.awaitExit(), app.output());
            assertTrue(app.output().contains("Stopped"), app.output());
            assertTrue(app.output().contains("https://api.example.com/webhook/7730…66aa"), app.output());
            assertFalse(app.output().contains("7730a1b2c3d466aa"), "the webhook path must be masked");
        }
    }

    @Test
    void shouldWarnOnceAtStartWhenTheJvmWouldNotStopOnOutOfMemory() throws Exception {
        String warning = "Started without -XX:+ExitOnOutOfMemoryError";
        try (AppProcess app = AppProcess.start(dir, env())) {
            app.awaitStarted();
            assertEquals(1, app.lines().stream().filter(line -> line.contains(warning)).count(), app.output());
        }
        try (AppProcess app = AppProcess.start(dir, env("DATA_DIR", dir.resolve("other").toString()),
                "-XX:+ExitOnOutOfMemoryError")) {
            app.awaitStarted();
            assertFalse(app.output().contains(warning), app.output());
        }
    }

    @Test
    void shouldExitTwoWithOneLinePerProblemForABadEnvFile() throws Exception {
        Files.writeString(dir.resolve(".env"), "PORT=99999\nWEBHOOK_TIMEOUT=abc\nnonsense line\nAPP_TOKEN=short\n");
        try (AppProcess app = AppProcess.start(dir, Map.of())) {
            assertEquals(2, app.awaitExit());
            List<String> lines = app.lines();
            assertEquals(4, lines.size(), app.output());
            assertTrue(lines.contains("config error: .env:3: expected KEY=VALUE (KEY of letters, digits and _)"), app.output());
            assertTrue(lines.contains("config error: PORT=99999: expected a whole number from 0 to 65535"), app.output());
            assertFalse(app.output().contains("Exception"), "no stack trace: " + app.output());
        }
    }

    @Test
    void shouldExitTwoWithAClearMessageWhenThePortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             AppProcess app = AppProcess.start(dir, env("PORT", String.valueOf(taken.getLocalPort())))) {
            assertEquals(2, app.awaitExit());
            assertTrue(app.output().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), app.output());
            assertFalse(app.output().contains("\tat "), "no stack trace: " + app.output());
        }
    }
}
