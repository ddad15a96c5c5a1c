package relay.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The JDK HTTP server on virtual threads: one thread per exchange, so a slow client never starves the others. */
public final class WebServer {
    private final HttpServer server;
    private final ExecutorService executor;

    private WebServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds and starts; a port already in use surfaces as {@link java.net.BindException}. */
    public static WebServer start(String host, int port, Router router) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 256);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", router);
        server.start();
        return new WebServer(server, executor);
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
