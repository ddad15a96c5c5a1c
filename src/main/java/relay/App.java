package relay;

import java.io.IOException;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import relay.chat.ChatService;
import relay.chat.Ids;
import relay.chat.Message;
import relay.chat.PhoneNumbers;
import relay.config.Config;
import relay.http.Router;
import relay.http.StaticFiles;
import relay.http.WebServer;
import relay.log.EventLog;
import relay.store.Outbox;
import relay.webhook.CircuitBreaker;
import relay.webhook.Dispatcher;
import relay.webhook.RetryPolicy;
import relay.webhook.Signer;
import relay.webhook.WebhookBody;
import relay.webhook.WebhookSender;

/** The running service: wires configuration, store, delivery engine and HTTP server, and stops them in order. */
public final class App implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(App.class);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Outbox outbox;
    private final Dispatcher dispatcher;
    private final ChatService chat;
    private final WebServer server;

    private App(Outbox outbox, Dispatcher dispatcher, ChatService chat, WebServer server) {
        this.outbox = outbox;
        this.dispatcher = dispatcher;
        this.chat = chat;
        this.server = server;
    }

    /** Opens the store, starts the engine on what it holds, then starts serving. */
    public static App start(Config config) throws IOException {
        return start(config, InstantSource.system());
    }

    static App start(Config config, InstantSource clock) throws IOException {
        Outbox outbox = Outbox.open(config.dataDir(), clock);
        try {
            Function<Message, WebhookBody> bodies = message -> WebhookBody.forMessage(message, outbox.files()::path,
                    null);
            CircuitBreaker breaker = new CircuitBreaker(config.circuitFailureThreshold(), config.circuitOpen(), clock);
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
            Dispatcher dispatcher = new Dispatcher(outbox, sender(config, clock), breaker,
                    new RetryPolicy(config.retryBase(), config.retryMax(), new SecureRandom()), bodies,
                    config::maxRetriesFor, config.concurrency(), clock, timer,
                    Executors.newVirtualThreadPerTaskExecutor());
            ChatService chat = new ChatService(outbox, dispatcher, new PhoneNumbers(config.defaultRegion()),
                    new Ids(clock, new SecureRandom()), config.maxAttachmentBytes(), bodies, clock);
            Router router = new Router()
                    .get("/healthz", request -> request.respondJson(outbox.isReachable() ? 200 : 503,
                            Map.of("status", outbox.isReachable() ? "ok" : "store unreachable")))
                    .fallback(new StaticFiles("web"));
            WebServer server = WebServer.start(config.host(), config.port(), router);
            App app = new App(outbox, dispatcher, chat, server);
            app.announce(config);
            dispatcher.start();
            return app;
        } catch (IOException | RuntimeException e) {
            outbox.close();
            throw e;
        }
    }

    private static Optional<WebhookSender> sender(Config config, InstantSource clock) {
        HttpClient client = WebhookSender.newHttpClient(CONNECT_TIMEOUT);
        return config.webhookUrl().map(url -> new WebhookSender(client, url, config.userAgent(),
                config.webhookSecret().map(secret -> new Signer(secret.reveal())), config.webhookTimeout(),
                config.uploadRateKbps(), clock));
    }

    public int port() {
        return server.port();
    }

    public ChatService chat() {
        return chat;
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

    /** Stops accepting, lets requests and attempts in flight finish within a bounded wait, then closes the store. */
    @Override
    public void close() {
        server.stop(SHUTDOWN_GRACE);
        dispatcher.close(SHUTDOWN_GRACE);
        outbox.close();
        LOG.info("app.stopped", "👋 Stopped");
    }
}
