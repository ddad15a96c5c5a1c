package relay;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import relay.config.Config;
import relay.http.Router;
import relay.http.StaticFiles;
import relay.http.WebServer;
import relay.log.EventLog;

/** The running service: wires configuration, store, delivery engine and HTTP server, and stops them in order. */
public final class App implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(App.class);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final WebServer server;

    private App(WebServer server) {
        this.server = server;
    }

    public static App start(Config config) throws IOException {
        Router router = new Router()
                .get("/healthz", request -> request.respondJson(200, Map.of("status", "ok")))
                .fallback(new StaticFiles("web"));
        WebServer server = WebServer.start(config.host(), config.port(), router);
        App app = new App(server);
        app.announce(config);
        return app;
    }

    public int port() {
        return server.port();
    }

    private void announce(Config config) {
        String open = config.publicBaseUrl(port()) + "/";
        LOG.info("app.started", "🚀 Chat Webhook Relay is up: open " + open + " — webhook "
                + (config.webhookUrl().isPresent() ? config.maskedWebhookUrl() : "(not set)")
                + ", data in " + config.dataDir().toAbsolutePath().normalize(),
                "url", open, "webhook", config.maskedWebhookUrl(), "data_dir", config.dataDir().toAbsolutePath());
        if (config.webhookUrl().isEmpty()) {
            LOG.warn("webhook.unconfigured", "⚠️ WEBHOOK_URL is not set: messages are accepted and wait as queued "
                    + "until the service is restarted with one");
        }
    }

    /** Stops accepting, lets requests in flight finish within a bounded wait, then closes everything else. */
    @Override
    public void close() {
        server.stop(SHUTDOWN_GRACE);
        LOG.info("app.stopped", "👋 Stopped");
    }
}
