package relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import relay.chat.Attachment;
import relay.chat.ChatService;
import relay.chat.Ids;
import relay.chat.Message;
import relay.chat.PhoneNumbers;
import relay.config.Config;
import relay.http.Api;
import relay.http.WebServer;
import relay.log.EventLog;
import relay.store.Outbox;
import relay.webhook.AttachmentLinks;
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
    private final Api api;
    private final WebServer server;

    private App(Outbox outbox, Dispatcher dispatcher, ChatService chat, Api api, WebServer server) {
        this.outbox = outbox;
        this.dispatcher = dispatcher;
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
        Outbox outbox = Outbox.open(config.dataDir(), clock);
        WebServer server = null;
        try {
            server = WebServer.bind(config.host(), config.port(), config.limits());
            SecureRandom random = new SecureRandom();
            AttachmentLinks links = AttachmentLinks.open(config.dataDir(), config.publicBaseUrl(server.port()), random);
            Function<Attachment, String> urlMode = config.attachments() == Config.AttachmentMode.URL
                    ? links::urlFor : null;
            Function<Message, WebhookBody> bodies = message -> WebhookBody.forMessage(message, outbox.files()::path,
                    urlMode);
            CircuitBreaker breaker = new CircuitBreaker(config.circuitFailureThreshold(), config.circuitOpen(), clock);
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
            Dispatcher dispatcher = new Dispatcher(outbox, sender(config, clock), breaker,
                    new RetryPolicy(config.retryBase(), config.retryMax(), random), bodies,
                    config::maxRetriesFor, config.concurrency(), clock, timer,
                    Executors.newVirtualThreadPerTaskExecutor());
            PhoneNumbers phones = new PhoneNumbers(config.defaultRegion());
            ChatService chat = new ChatService(outbox, dispatcher, phones, new Ids(clock, random),
                    config.maxAttachmentBytes(), bodies, clock);
            Api api = Api.create(chat, config, phones, links, clock);
            App app = new App(outbox, dispatcher, chat, api, server);
            dispatcher.start();
            server.serve(api.router());
            app.announce(config);
            return app;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.stop(Duration.ZERO);
            }
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
        if (!isLoopback(config.host()) && config.appToken().isEmpty()) {
            LOG.warn("security.open", "⚠️ Listening on " + config.host() + " without APP_TOKEN: anyone who can reach "
                    + "this address can read and send messages. Set APP_TOKEN, or HOST=127.0.0.1");
        }
        if (config.webhookUrl().isEmpty()) {
            LOG.warn("webhook.unconfigured", "⚠️ WEBHOOK_URL is not set: messages are accepted and wait as queued "
                    + "until the service is restarted with one");
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
        api.close();
        server.stop(SHUTDOWN_GRACE);
        dispatcher.close(SHUTDOWN_GRACE);
        outbox.close();
        LOG.info("app.stopped", "👋 Stopped");
    }
}
