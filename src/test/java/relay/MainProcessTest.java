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
import relay.testing.Await;
import relay.testing.RunningApp;

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
            assertTrue(app.output().contains("https://api.example.com/…"), app.output());
            assertFalse(app.output().contains("7730a1b2c3d466aa"), "the webhook path must be masked");
        }
    }

    @Test
    void shouldWarnOnceAtStartWhenTheJvmWouldNotStopOnOutOfMemory() throws Exception {
        String warning = "Started without -XX:+ExitOnOutOfMemoryError";
        try (AppProcess app = AppProcess.start(dir, env())) {
            app.awaitStarted();
            Await.until("the warning, said once the service is up", () -> app.output().contains(warning));
            app.terminate();
            app.awaitExit();
            assertEquals(1, app.lines().stream().filter(line -> line.contains(warning)).count(), app.output());
        }
        try (AppProcess app = AppProcess.start(dir, env("DATA_DIR", dir.resolve("other").toString()),
                "-XX:+ExitOnOutOfMemoryError")) {
            app.awaitStarted();
            app.terminate();
            app.awaitExit(); // every line it said is read
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

    @Test
    void shouldExitTwoWithOneLineWhenTheWebhookLeadsBackToThisService() throws Exception {
        int port = freePort();
        try (AppProcess app = AppProcess.start(dir, env("PORT", String.valueOf(port),
                "WEBHOOK_URL", "http://localhost:" + port + "/chat/messages"))) {
            assertEquals(2, app.awaitExit(), app.output());
            assertEquals(List.of("start-up error: WEBHOOK_URL leads back to this service (http://localhost:" + port
                    + "/… is this service's own address): every message would come back to it as a new one to "
                    + "deliver, in a loop. Set WEBHOOK_URL to your real endpoint, or to /demo/webhook on this address "
                    + "for the built-in demo receiver."), errorLines(app));
        }
    }

    @Test
    void shouldExitTwoWhenTheWebhookIsTheDemoReceiverSwitchedOff() throws Exception {
        int port = freePort();
        try (AppProcess app = AppProcess.start(dir, env("PORT", String.valueOf(port), "DEMO_RECEIVER", "false",
                "WEBHOOK_URL", "http://127.0.0.1:" + port + "/demo/webhook"))) {
            assertEquals(2, app.awaitExit(), app.output());
            assertEquals(1, errorLines(app).size(), app.output());
            assertTrue(errorLines(app).getFirst().startsWith("start-up error: WEBHOOK_URL is this service's demo receiver"
                    + " (http://127.0.0.1:" + port + "/… is this service's own address), but DEMO_RECEIVER=false, so "
                    + "every delivery would get 404."), app.output());
        }
    }

    /** The example configuration points the webhook at the demo receiver of the service itself: that loop is fine. */
    @Test
    void shouldDeliverToTheDemoReceiverWithTheExampleConfiguration() throws Exception {
        int port = freePort();
        Files.writeString(dir.resolve(".env"), Files.readString(Path.of(".env.example"))
                .replace("8080", String.valueOf(port)));
        try (AppProcess app = AppProcess.start(dir, Map.of());
             HttpClient client = HttpClient.newHttpClient()) {
            assertEquals(port, app.awaitStarted());
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpResponse<String> accepted = client.send(HttpRequest.newBuilder(base.resolve("/chat/messages"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"phone\":\"+5511999999999\",\"text\":\"hi\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, accepted.statusCode(), accepted.body());
            String id = RunningApp.json(accepted).path("id").asText();

            Await.until("the demo receiver got the message", () -> RunningApp.json(send(client,
                    base.resolve("/chat/messages/" + id))).path("status").asText(), "delivered"::equals);

            app.terminate();
            assertEquals(0, app.awaitExit(), app.output());
        }
    }

    /** What the service said about stopping: not its log lines, nor the JVM's warnings about native access. */
    private static List<String> errorLines(AppProcess app) {
        assertFalse(app.output().contains("\tat "), "no stack trace: " + app.output());
        return app.lines().stream().filter(line -> line.contains("error")).toList();
    }

    private static HttpResponse<String> send(HttpClient client, URI uri) {
        try {
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
