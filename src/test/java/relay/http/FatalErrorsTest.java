package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM stops, rather than limping on, when a thread dies of running out of memory — even when started without
 * {@code -XX:+ExitOnOutOfMemoryError}. Each case runs in a JVM of its own, which it ends.
 */
class FatalErrorsTest {
    @TempDir
    Path dir;

    @Test
    void shouldHaltWhenAnyThreadDiesOfOutOfMemory() throws Exception {
        Result result = run("thread");

        assertEquals(FatalErrors.EXIT_STATUS, result.status(), result.output());
        assertTrue(result.output().contains("fatal: java.lang.OutOfMemoryError: simulated in thread \"HTTP-Dispatcher\""),
                result.output());
    }

    @Test
    void shouldOnlyPrintOtherUncaughtExceptions() throws Exception {
        Result result = run("exception");

        assertEquals(0, result.status(), result.output());
        assertTrue(result.output().contains("Exception in thread \"worker\" java.lang.IllegalStateException: not fatal"),
                result.output());
    }

    @Test
    void shouldHaltWhenAnExchangeRunsOutOfMemoryEvenWithoutTheHandlerInstalled() throws Exception {
        Result result = run("exchange");

        assertEquals(FatalErrors.EXIT_STATUS, result.status(), result.output());
        assertTrue(result.output().contains("fatal: java.lang.OutOfMemoryError: simulated in thread \"http-"),
                result.output());
    }

    private record Result(int status, String output) {
    }

    private Result run(String mode) throws IOException, InterruptedException {
        Path log = dir.resolve(mode + ".log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), mode)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = process.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (!ended) {
            throw new AssertionError("the probe did not end:\n" + output);
        }
        return new Result(process.exitValue(), output);
    }

    /** What runs in the forked JVM; it exits 0 when it was not halted. */
    static final class Probe {
        public static void main(String[] args) throws Exception {
            try {
                act(args[0]);
            } finally {
                System.exit(0);
            }
        }

        private static void act(String mode) throws Exception {
            switch (mode) {
                case "thread" -> {
                    FatalErrors.haltOnVirtualMachineErrors();
                    dieIn("HTTP-Dispatcher", () -> {
                        throw new OutOfMemoryError("simulated");
                    });
                }
                case "exception" -> {
                    FatalErrors.haltOnVirtualMachineErrors();
                    dieIn("worker", () -> {
                        throw new IllegalStateException("not fatal");
                    });
                }
                case "exchange" -> requestAHandlerThatRunsOutOfMemory();
                default -> throw new IllegalArgumentException(mode);
            }
        }

        private static void dieIn(String name, Runnable failing) throws InterruptedException {
            Thread.ofPlatform().name(name).start(failing).join();
        }

        /** Without {@link FatalErrors#haltOnVirtualMachineErrors()}: the server's own threads halt. */
        private static void requestAHandlerThatRunsOutOfMemory() throws Exception {
            WebServer server = WebServer.start("127.0.0.1", 0, new Router().get("/boom", request -> {
                throw new OutOfMemoryError("simulated");
            }));
            try (HttpClient client = HttpClient.newHttpClient()) {
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/boom"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
    }
}
