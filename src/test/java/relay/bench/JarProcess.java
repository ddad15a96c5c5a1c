package relay.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real jar as a child process, configured only by its environment, in its own folder (no {@code .env} there),
 * its output in a file. {@link #start} returns once {@code /healthz} answers 200 and records how long that took.
 */
final class JarProcess implements AutoCloseable {
    private static final HttpClient PROBE = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    final String name;
    final int port;
    final URI base;
    final Duration startup;
    private final Path dataDir;
    private final Process process;
    private final Path log;
    private boolean stopped;

    private JarProcess(String name, int port, Path dataDir, Process process, Path log, Duration startup) {
        this.name = name;
        this.dataDir = dataDir;
        this.port = port;
        this.base = URI.create("http://127.0.0.1:" + port);
        this.process = process;
        this.log = log;
        this.startup = startup;
    }

    /**
     * @param settings configuration keys on top of the bench defaults (loopback, a fresh DATA_DIR, no demo receiver)
     */
    static JarProcess start(String name, Path java, Path jar, Path root, Map<String, String> settings,
                            List<String> jvmOptions) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(root.resolve(name));
        int port = freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOST", "127.0.0.1");
        env.put("PORT", Integer.toString(port));
        Path dataDir = dir.resolve("data");
        env.put("DATA_DIR", dataDir.toString());
        env.put("DEMO_RECEIVER", "false");
        env.put("LOG_FORMAT", "text");
        env.putAll(settings);
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        // As the README and the systemd unit run it.
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        Path log = dir.resolve("output.log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().putAll(env);
        long t0 = System.nanoTime();
        Process process = builder.start();
        URI health = URI.create("http://127.0.0.1:" + port + "/healthz");
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + ": the jar exited with " + process.exitValue() + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            try {
                HttpResponse<Void> r = PROBE.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(60)) {
                process.destroyForcibly();
                throw new IllegalStateException(name + ": no 200 from /healthz within 60 s");
            }
            Thread.sleep(5);
        }
        return new JarProcess(name, port, dataDir, process, log, Duration.ofNanos(System.nanoTime() - t0));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    URI uri(String pathAndQuery) {
        return base.resolve(pathAndQuery);
    }

    /** Its DATA_DIR, for looking at the files the store keeps there. */
    Path dataDir() {
        return dataDir;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** Peak resident set size (VmHWM) in KiB, or -1 where /proc is not there. */
    long peakRssKib() {
        return procStatus("VmHWM:");
    }

    private long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** CPU time the process has used so far (user + system), from /proc; -1 where that is not there. */
    double cpuSeconds() {
        return cpuSeconds(process.pid(), false);
    }

    /**
     * CPU time process {@code pid} has used so far (user + system), from /proc; with {@code reaped}, also that of its
     * children that ended and were waited for; -1 where that is not there.
     */
    static double cpuSeconds(long pid, boolean reaped) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14-17 of stat (utime, stime, cutime, cstime), counted from the state field (3) after the name
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12])
                    + (reaped ? Long.parseLong(f[13]) + Long.parseLong(f[14]) : 0);
            return ticks / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU time of process {@code pid} and all its descendants, living or ended: for PostgreSQL, whose sessions are
     * the server's children.
     */
    static double treeCpuSeconds(long pid) {
        double total = cpuSeconds(pid, true);
        for (ProcessHandle child : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
            total += Math.max(0, cpuSeconds(child.pid(), true));
        }
        return total;
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Lines of the jar's output containing {@code needle}. */
    long countLines(String needle) throws IOException {
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }

    /** SIGKILL, as a machine that dies: no graceful stop, its claims left to run out. */
    void kill() throws InterruptedException {
        stopped = true;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        keepLog();
    }

    /**
     * SIGTERM, then SIGKILL if it has not stopped within 30 s. With {@code -Dbench.jfrDump=DIR} a flight recording
     * started by {@code bench.jarOptions} is dumped first: the jar ends with {@code Runtime.halt}, which skips the
     * JVM's own dump on exit.
     */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        String jfrDir = System.getProperty("bench.jfrDump");
        if (jfrDir != null && process.isAlive()) {
            try {
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "JFR.dump",
                        "filename=" + Path.of(jfrDir, name + ".jfr").toAbsolutePath()).inheritIO().start().waitFor();
            } catch (IOException e) {
                System.err.println("JFR dump failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        process.toHandle().destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        keepLog();
    }

    /** The output goes to {@code bench.logs}, where it outlives the run's temp folder. */
    private void keepLog() {
        String keep = System.getProperty("bench.logs");
        if (keep != null) {
            try {
                Files.copy(log, Files.createDirectories(Path.of(keep)).resolve(name + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                System.err.println("could not keep " + log + ": " + e);
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
