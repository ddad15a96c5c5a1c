package relay.http;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The JDK HTTP server on virtual threads: one thread per exchange, so a slow client never starves the others. */
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
    }
    private final HttpServer server;
    private final ExecutorService executor;

    private WebServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds the port without serving yet, so the address actually bound (PORT=0 picks one) is known while the rest
     * is wired; a port already in use surfaces here as {@link java.net.BindException}.
     */
    public static WebServer bind(String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 256);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        return new WebServer(server, executor);
    }

    /** Binds and serves {@code handler} at once. */
    public static WebServer start(String host, int port, HttpHandler handler) throws IOException {
        WebServer server = bind(host, port);
        server.serve(handler);
        return server;
    }

    public void serve(HttpHandler handler) {
        server.createContext("/", handler);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return server.getAddress().getHostString();
    }

    /**
     * Stops accepting at once and lets exchanges in flight finish for at most {@code grace}. Long-lived streams
     * (server-sent events) must be closed by their owner before this, or they hold the full grace period.
     */
    public void stop(Duration grace) {
        server.stop((int) Math.max(0, grace.toSeconds()));
        executor.shutdownNow();
    }
}
