package relay.http;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import relay.config.Config;
import relay.config.ConfigLoader;
import relay.domain.Scheduler;

/**
 * The JDK HTTP server on virtual threads: one thread per exchange, so a slow client never starves the others, and a
 * {@link StallWatchdog} that drops clients too slow to send their headers or to move a body, so slow clients cannot
 * hold threads and buffers until memory runs out.
 */
public final class WebServer {
    /**
     * How much of a body nobody read the JDK server reads and discards after the answer, before it closes the
     * connection (its default is 64 KiB). Closing a socket whose client is still sending makes the kernel reset the
     * connection, and a reset can reach the client before it has read the refusal (a 413, a 401) it was sent. Reading
     * the rest of a modest body first lets the close be clean; a larger one is cut off after this much.
     */
    static final long DRAIN_BYTES = 4L * 1024 * 1024;

    static {
        // The JDK's server reads its settings once, when its first instance is made, so they are set before that.
        System.setProperty("sun.net.httpserver.drainAmount", Long.toString(DRAIN_BYTES));
        // Without TCP_NODELAY an answer over a few segments (a page of the conversation list, a thread) waits ~40 ms
        // for the client's delayed acknowledgement before its last segment goes out.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** How often stalled clients are looked for; timeouts are whole seconds, so they are kept to within one. */
    static final Duration SWEEP_EVERY = Duration.ofSeconds(1);
    /**
     * Request line and headers together may not exceed this (the JDK allows 380 KiB): a thousand connections each
     * holding that much would need more memory than the service has. Browsers and proxies stay far below.
     */
    static final int MAX_HEADER_BYTES = 32 * 1024;

    private static final AtomicBoolean anyBound = new AtomicBoolean();

    private final HttpServer server;
    private final ExecutorService threads;
    private final StallWatchdog watchdog;
    private final Scheduler timer;
    /** Shuts down the timer's thread when this server made it; nothing for a timer given by a test. */
    private final Runnable stopTimer;
    private volatile boolean stopped;

    private WebServer(HttpServer server, ExecutorService threads, StallWatchdog watchdog, Scheduler timer,
                      Runnable stopTimer) {
        this.server = server;
        this.threads = threads;
        this.watchdog = watchdog;
        this.timer = timer;
        this.stopTimer = stopTimer;
    }

    /**
     * Sets the limits the JDK server takes from system properties. It reads them once per JVM, when the first server
     * is created (a static initialiser), so this must run before that and holds for every server of the JVM after:
     * <ul>
     *   <li>{@code MAX_CONNECTIONS}: connections beyond it are closed as soon as they are accepted;</li>
     *   <li>{@code HEADER_TIMEOUT_SECONDS} also bounds a connection that sends no byte of a request, whether newly
     *       accepted or kept alive after one (those wait in the JDK's selector, not on a thread of ours);</li>
     *   <li>{@link #MAX_HEADER_BYTES}.</li>
     * </ul>
     *
     * @throws IllegalStateException when a server was already created in this JVM, too late for these to apply
     */
    public static void applyJvmWideLimits(Config.Limits limits) {
        if (anyBound.get()) {
            throw new IllegalStateException("the JDK server reads its limits once, before the first server is created");
        }
        System.setProperty("jdk.httpserver.maxConnections", String.valueOf(limits.maxConnections()));
        System.setProperty("sun.net.httpserver.idleInterval", String.valueOf(limits.headerTimeout().toSeconds()));
        System.setProperty("sun.net.httpserver.clockTick", String.valueOf(SWEEP_EVERY.toMillis()));
        System.setProperty("sun.net.httpserver.maxReqHeaderSize", String.valueOf(MAX_HEADER_BYTES));
    }

    /**
     * Binds the port without serving yet, so the address actually bound (PORT=0 picks one) is known while the rest
     * is wired; a port already in use surfaces here as {@link java.net.BindException}.
     */
    public static WebServer bind(String host, int port, Config.Limits limits) throws IOException {
        // A platform thread: it must run even when every carrier of virtual threads is stuck on a slow client, as
        // happens on JDKs before 24, where the JDK server's synchronized reads pin them.
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("http-stall-sweeper").daemon().factory());
        return bind(host, port, new StallWatchdog(limits.headerTimeout(), limits.bodyIdleTimeout(),
                InstantSource.system()), Scheduler.on(timer), timer::shutdownNow);
    }

    /** With the watchdog and the timer that sweeps it given, for tests that move time by hand. */
    static WebServer bind(String host, int port, StallWatchdog watchdog, Scheduler timer) throws IOException {
        return bind(host, port, watchdog, timer, () -> { });
    }

    private static WebServer bind(String host, int port, StallWatchdog watchdog, Scheduler timer, Runnable stopTimer)
            throws IOException {
        anyBound.set(true);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 256);
        ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory());
        WebServer webServer = new WebServer(server, threads, watchdog, timer, stopTimer);
        server.setExecutor(task -> threads.execute(() -> webServer.runWatched(task)));
        return webServer;
    }

    /** Binds and serves {@code handler} at once, with the default limits. */
    public static WebServer start(String host, int port, HttpHandler handler) throws IOException {
        WebServer server = bind(host, port, ConfigLoader.fromValues(Map.of()).limits());
        server.serve(handler);
        return server;
    }

    static WebServer start(String host, int port, StallWatchdog watchdog, Scheduler timer, HttpHandler handler) throws IOException {
        WebServer server = bind(host, port, watchdog, timer);
        server.serve(handler);
        return server;
    }

    public void serve(HttpHandler handler) {
        server.createContext("/", handler).getFilters().add(watchdog.filter());
        server.start();
        sweepPeriodically();
    }

    /**
     * Out of memory on an exchange thread halts the JVM (see {@link FatalErrors}): the JDK server rethrows it, and
     * a virtual thread's death would otherwise go unnoticed while the service limps on.
     */
    private void runWatched(Runnable task) {
        try {
            watchdog.run(task);
        } catch (OutOfMemoryError e) {
            FatalErrors.halt(Thread.currentThread(), e);
        }
    }

    private void sweepPeriodically() {
        timer.schedule(() -> {
            if (stopped) {
                return;
            }
            try {
                watchdog.sweep();
            } finally {
                sweepPeriodically();
            }
        }, SWEEP_EVERY);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Stops accepting at once and lets exchanges in flight finish for at most {@code grace}. Long-lived streams
     * (server-sent events) must be closed by their owner before this, or they hold the full grace period.
     */
    public void stop(Duration grace) {
        server.stop((int) Math.max(0, grace.toSeconds()));
        stopped = true;
        threads.shutdownNow();
        stopTimer.run();
    }
}
