package relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import relay.chat.ChatService;
import relay.chat.ContactBook;
import relay.chat.LiveConfig;
import relay.chat.Ids;
import relay.chat.PhoneNumbers;
import relay.config.Config;
import relay.config.Key;
import relay.config.SelfLoop;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.Scheduler;
import relay.http.Api;
import relay.http.Router;
import relay.http.WebServer;
import relay.log.EventLog;
import relay.store.sqlite.SqliteStore;
import relay.webhook.AttachmentLinks;
import relay.webhook.CircuitBreaker;
import relay.webhook.DeliveryEngine;
import relay.webhook.RetryPolicy;
import relay.webhook.Signer;
import relay.webhook.SigningKeys;
import relay.webhook.WebhookBody;
import relay.webhook.WebhookSender;

/** The running service: wires configuration, store, delivery engine and HTTP server, and stops them in order. */
public final class App implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(App.class);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How often the engine looks for due deliveries without being asked: the backstop of its wake-ups. */
    private static final Duration POLL = Duration.ofSeconds(5);

    private final Storage store;
    private final Cluster cluster;
    private final Runnable stopHousekeeping;
    private final ScheduledExecutorService housekeeping;
    private final ScheduledExecutorService deliveryTimer;
    private final DeliveryEngine engine;
    private final ChatService chat;
    private final Api api;
    private final WebServer server;

    private App(Storage store, Cluster cluster, Runnable stopHousekeeping, ScheduledExecutorService housekeeping,
                ScheduledExecutorService deliveryTimer, DeliveryEngine engine, ChatService chat, Api api,
                WebServer server) {
        this.store = store;
        this.cluster = cluster;
        this.stopHousekeeping = stopHousekeeping;
        this.housekeeping = housekeeping;
        this.deliveryTimer = deliveryTimer;
        this.engine = engine;
        this.chat = chat;
        this.api = api;
        this.server = server;
    }

    /** Opens the store, binds the port, starts the engine on what the store holds, then starts serving. */
    public static App start(Config config) throws IOException {
        return start(config, InstantSource.system());
    }

    /** With an injected clock, for tests that move time by hand. */
    public static App start(Config config, InstantSource clock) throws IOException {
        SecureRandom random = new SecureRandom();
        String instance = incarnation(config.instanceId(), random);
        Storage store = Storage.open(config, clock, instance);
        WebServer server = null;
        try {
            server = WebServer.bind(config.host(), config.port(), config.limits());
            refuseSelfLoop(config, server.port());
            AttachmentLinks links = store.attachmentLinks(config.dataDir(), config.publicBaseUrl(server.port()),
                    random);
            HttpClient client = WebhookSender.newHttpClient(CONNECT_TIMEOUT);
            InetSocketAddress bound = new InetSocketAddress(config.host(), server.port());
            LiveConfig live = LiveConfig.open(config, store.settings(),
                    url -> SelfLoop.problem(url, bound, config.demoReceiver()),
                    inForce -> engineSettings(inForce, client, random, clock), clock, store.signals());
            Function<Message, WebhookBody> bodies = message -> WebhookBody.forMessage(message,
                    store.attachments()::open, urlMode(live.current().config(), links));
            DeliveryEngine.Live settings = live.engineSettings();
            CircuitBreaker breaker = new CircuitBreaker(store.circuit(), instance, settings.failureThreshold(),
                    settings.circuitOpen(), config.lease(), clock);
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
            DeliveryEngine engine = new DeliveryEngine(store.queue(), store.reads(), settings.sender(), breaker,
                    settings.policy(), bodies, settings.maxRetries(), new DeliveryEngine.Settings(settings.ordering(),
                    settings.concurrency(), config.lease(), POLL, instance), clock, Scheduler.on(timer),
                    Executors.newVirtualThreadPerTaskExecutor(), store.signals());
            // The engine first, so that what listens after it (the pages) sees the change in force.
            live.addListener(change -> engine.reconfigure(change.engine(), change.keys().contains(Key.WEBHOOK_URL)));
            PhoneNumbers phones = new PhoneNumbers(config.defaultRegion());
            ChatService chat = new ChatService(store.queue(), store.reads(), store.attachments(), engine, phones,
                    new Ids(clock, random), config.maxAttachmentBytes(), bodies, clock);
            ContactBook contacts = new ContactBook(store.contacts(), store.signals());
            Api api = Api.create(chat, contacts, store.search(), config, live, phones, links,
                    store.sessions(), store.status(), random, clock);
            // Its own thread: a long clean-up must not delay the delivery engine's timers.
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofVirtual().name("housekeeping").factory());
            engine.start();
            server.serve(api.router());
            Runnable stopHousekeeping = store.startHousekeeping(config.housekeeping(), clock,
                    Scheduler.on(housekeeping));
            Cluster cluster = Cluster.follow(store.signals(), engine, breaker, live, contacts, api);
            App app = new App(store, cluster, stopHousekeeping, housekeeping, timer, engine, chat, api, server);
            app.announce(live.current().config());
            return app;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.stop(Duration.ZERO);
            }
            store.close();
            throw e;
        }
    }

    /** Before anything is delivered: a webhook that leads back here would deliver to itself without end. */
    private static void refuseSelfLoop(Config config, int port) {
        Optional<String> problem = config.webhookUrl().flatMap(url ->
                SelfLoop.problem(url, new InetSocketAddress(config.host(), port), config.demoReceiver()));
        if (problem.isPresent()) {
            throw new IllegalStateException(problem.get());
        }
    }

    /**
     * This start of this instance, as its claims, probes and hints name it: the configured id with a random part, so
     * that two instances given the same {@code INSTANCE_ID} (or sharing a process, as tests do) never take each
     * other's hints for their own echo.
     */
    private static String incarnation(String instanceId, SecureRandom random) {
        return instanceId + "#" + Integer.toHexString(random.nextInt(1 << 24));
    }

    /** Attachments go inline, or as signed links, as the configuration in force says when the body is built. */
    private static Function<Attachment, String> urlMode(Config config, AttachmentLinks links) {
        return config.attachments() == Config.AttachmentMode.URL ? links::urlFor : null;
    }

    /** The delivery engine's settings for a configuration, built afresh each time the operator changes it. */
    private static DeliveryEngine.Live engineSettings(LiveConfig.InForce inForce, HttpClient client,
                                                      SecureRandom random, InstantSource clock) {
        Config config = inForce.config();
        Optional<LiveConfig.PreviousSecret> previous = inForce.previousSecret();
        SigningKeys keys = new SigningKeys(config.webhookSecret().map(secret -> new Signer(secret.reveal())),
                previous.map(p -> new Signer(p.secret().reveal())),
                previous.map(LiveConfig.PreviousSecret::until).orElse(Instant.MIN));
        Optional<WebhookSender> sender = config.webhookUrl().map(url -> new WebhookSender(client, url,
                config.userAgent(), keys, config.webhookTimeout(), config.uploadRateKbps(), config.keepAlive(), clock));
        return new DeliveryEngine.Live(sender, new RetryPolicy(config.retryBase(), config.retryMax(), random),
                config::maxRetriesFor, config.ordering(), config.concurrency(), config.circuitFailureThreshold(),
                config.circuitOpen());
    }

    public int port() {
        return server.port();
    }

    public ChatService chat() {
        return chat;
    }

    /** Every declared HTTP route, with who may call it. */
    public List<Router.Route> routes() {
        return api.router().routes();
    }

    /**
     * The SQLite store, for tests that need to reach beneath the API (e.g. to make chat.db fail as a full disk would).
     *
     * @throws IllegalStateException when the store is PostgreSQL
     */
    public SqliteStore store() {
        return store.sqlite().orElseThrow(() -> new IllegalStateException("the store is PostgreSQL, not SQLite"));
    }

    private void announce(Config config) {
        String open = config.publicBaseUrl(port()) + "/";
        LOG.info("app.started", "🚀 Chat Webhook Relay is up: open " + open + " — webhook "
                + (config.webhookUrl().isPresent() ? config.maskedWebhookUrl() : "(not set)")
                + ", data in " + Storage.describe(config),
                "url", open, "webhook", config.maskedWebhookUrl(), "data_dir", config.dataDir().toAbsolutePath());
        if (!isLoopback(config.host()) && config.appToken().isEmpty()) {
            LOG.warn("security.open", "⚠️ Listening on " + config.host() + " without APP_TOKEN: anyone who can reach "
                    + "this address can read and send messages. Set APP_TOKEN, or HOST=127.0.0.1");
        }
        if (config.webhookUrl().isEmpty()) {
            LOG.warn("webhook.unconfigured", "⚠️ WEBHOOK_URL is not set: messages are accepted and wait as queued "
                    + "until one is set on the settings page (or in .env and a restart)");
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Stops accepting, lets requests and attempts in flight finish within a bounded wait, then closes the store. */
    @Override
    public void close() {
        cluster.close();
        api.close();
        server.stop(SHUTDOWN_GRACE);
        engine.close(SHUTDOWN_GRACE);
        deliveryTimer.shutdownNow();
        stopHousekeeping.run();
        housekeeping.shutdown();
        store.close();
        LOG.info("app.stopped", "👋 Stopped");
    }
}
