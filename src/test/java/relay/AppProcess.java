package relay;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service as a child JVM on the test class path, the way users run it: its own process, its own environment,
 * stopped by a signal. Output is collected line by line so tests can wait for what it says.
 */
public final class AppProcess implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("open (http://[^ ]+?:(\\d+))/");

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

    private AppProcess(Process process) {
        this.process = process;
        Thread.ofVirtual().start(() -> readLines(process));
    }

    /** Starts {@code relay.Main} in {@code workDir} with only {@code env} (plus PATH) as its environment. */
    public static AppProcess start(Path workDir, Map<String, String> env, String... jvmOptions) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "relay.Main"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().putAll(env);
        return new AppProcess(builder.start());
    }

    private void readLines(Process process) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
                Matcher m = STARTED.matcher(line);
                if (m.find()) {
                    port.complete(Integer.parseInt(m.group(2)));
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        port.completeExceptionally(new IllegalStateException("the service exited before starting:\n" + output()));
        outputEnded.complete(null);
    }

    /** The port it listens on, once it said it started. */
    public int awaitStarted() throws Exception {
        return port.get(60, TimeUnit.SECONDS);
    }

    /** Waits for the process to end by itself, and for its last line to be read, and returns its exit code. */
    public int awaitExit() throws Exception {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the service did not exit:\n" + output());
        }
        outputEnded.get(10, TimeUnit.SECONDS);
        return process.exitValue();
    }

    /** SIGTERM, as a service manager or Ctrl-C would send. Through the handle: Process.destroy() also closes
     *  our end of its output, losing what it says while stopping. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** SIGKILL: no chance to clean up. */
    public void kill() {
        process.toHandle().destroyForcibly();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String output() {
        return String.join("\n", lines);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
