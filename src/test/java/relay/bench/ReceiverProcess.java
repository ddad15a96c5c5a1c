package relay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link Receivers} in its own JVM, and the bench's handle on its control routes. */
final class ReceiverProcess implements AutoCloseable {
    private final Process process;
    final int httpPort;
    final int hangPort;
    final int flakyPort;

    private ReceiverProcess(Process process, int httpPort, int hangPort, int flakyPort) {
        this.process = process;
        this.httpPort = httpPort;
        this.hangPort = hangPort;
        this.flakyPort = flakyPort;
    }

    static ReceiverProcess start(Path java, Path log) throws IOException {
        Process process = new ProcessBuilder(java.toString(), "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), Receivers.class.getName())
                .redirectError(log.toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("receivers ")) {
            process.destroyForcibly();
            throw new IllegalStateException("the receivers did not start: " + line);
        }
        int[] ports = new int[3];
        String[] parts = line.split(" ");
        for (int i = 0; i < 3; i++) {
            ports[i] = Integer.parseInt(parts[i + 1].substring(parts[i + 1].indexOf('=') + 1));
        }
        return new ReceiverProcess(process, ports[0], ports[1], ports[2]);
    }

    long pid() {
        return process.pid();
    }

    String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    String hangUrl() {
        return "http://127.0.0.1:" + hangPort + "/hook";
    }

    String flakyUrl() {
        return "http://127.0.0.1:" + flakyPort + "/hook";
    }

    JsonNode stats(Http http) throws IOException, InterruptedException {
        return http.getJson(URI.create(url("/control/stats")));
    }

    void reset(Http http) throws IOException, InterruptedException {
        http.post(URI.create(url("/control/reset")), "");
    }

    void failing(Http http, boolean on) throws IOException, InterruptedException {
        http.post(URI.create(url("/control/failing?on=" + on)), "");
    }

    /** When {@code /ordered} first answered each message 200: {@code "PHONE#SEQUENCE": epoch nanos}. */
    JsonNode acknowledged(Http http) throws IOException, InterruptedException {
        return http.getJson(URI.create(url("/control/acknowledged")));
    }

    /** Ok answers so far of receiver {@code name}. */
    long ok(Http http, String name) throws IOException, InterruptedException {
        return stats(http).path(name).path("ok").asLong();
    }

    /** What a receiver had answered when the wait ended: all that was expected, or what came within the time. */
    record Arrivals(long ok, long lastOkEpochNanos, boolean complete) {
    }

    /**
     * Polls every 10 ms until {@code name} answered {@code expected} 200s or {@code timeoutSeconds} passed; the time
     * of the last 200 is {@link Receivers#epochNanos()} (the wall clock, which both processes share).
     */
    Arrivals awaitOk(Http http, JarProcess sender, String name, long expected, long timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            JsonNode stats = stats(http).path(name);
            long seen = stats.path("ok").asLong();
            if (seen >= expected || System.nanoTime() > deadline) {
                return new Arrivals(seen, stats.path("last_ok_epoch_nanos").asLong(), seen >= expected);
            }
            if (!sender.isAlive()) {
                throw new IllegalStateException(sender.name + " exited while receiver " + name + " had " + seen);
            }
            Thread.sleep(10);
        }
    }

    List<String> ports() {
        return List.of("http=" + httpPort, "hang=" + hangPort, "flaky=" + flakyPort);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
