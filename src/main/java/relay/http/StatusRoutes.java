package relay.http;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import relay.chat.ChatService;
import relay.config.Config;
import relay.config.Key;
import relay.domain.AttemptOutcome;
import relay.domain.AttemptStats;
import relay.domain.Failure;
import relay.domain.MessageKind;
import relay.store.StorageFault;
import relay.store.StoreStatus;

/**
 * What the operator checks and does about delivery: the seed's {@code GET /chat/webhook-status} and
 * {@code POST /chat/reset-webhook-circuit}, a test event, and health.
 */
final class StatusRoutes {
    private static final int RECENT_FAILURES = 20;

    private final ChatService chat;
    private final StoreStatus store;
    private final Supplier<Config> config;
    private final Views views;
    private final String instanceId;

    /**
     * @param config     the configuration in force, which the operator may change while the service runs
     * @param instanceId this instance's name, for {@code /healthz}
     */
    StatusRoutes(ChatService chat, StoreStatus store, Supplier<Config> config, Views views, String instanceId) {
        this.chat = chat;
        this.store = store;
        this.config = config;
        this.views = views;
        this.instanceId = instanceId;
    }

    record WebhookView(String url, boolean configured, long timeoutSeconds, Map<String, Integer> maxRetries,
                       int concurrency, String ordering, boolean keepAlive, String attachments,
                       boolean demoReceiver, String warning) {
    }

    record StatsView(long attempts, long delivered, long failed, Double successRate, String lastSuccessAt,
                     String lastFailureAt) {
    }

    record StatusView(Views.CircuitView circuit, WebhookView webhook, Map<String, Long> queue, StatsView stats,
                      List<Views.FailureView> recentFailures) {
    }

    /** @param latencyMs how long a trivial query took, null when it failed */
    record DatabaseView(String backend, boolean reachable, Double latencyMs) {
    }

    record HealthView(String status, String store, String instance, DatabaseView database) {
    }

    Router register(Router router) {
        return router
                .publicGet("/healthz", this::health)
                .get("/chat/webhook-status", request -> request.respondJson(200, status()))
                .post("/chat/reset-webhook-circuit", request -> {
                    chat.resetCircuit();
                    request.respondJson(200, status());
                })
                .post("/chat/webhook-test", request -> request.respondJson(200, testEventView(chat.sendTestEvent())))
                .get("/chat/failures", this::failures);
    }

    /**
     * 200 {@code {"status":"ok","store":"reachable",…}}, or 503 {@code degraded} with what is wrong with the store:
     * {@code full}, {@code unwritable}, {@code busy}, {@code unreachable} or {@code corrupt}; with this instance's
     * name and the database's answer to a trivial query, so a load balancer or an operator sees which instance
     * answered and how its database is.
     */
    private void health(Request request) throws IOException {
        DatabaseView database = database();
        Optional<StorageFault> fault = store.fault();
        request.respondJson(fault.isEmpty() ? 200 : 503, new HealthView(fault.isEmpty() ? "ok" : "degraded",
                fault.map(StorageFault::wireName).orElse("reachable"), instanceId, database));
    }

    /** Timed for the operator to read only: nothing is decided on it, so the system's clock is fine here. */
    private DatabaseView database() {
        long started = System.nanoTime();
        boolean reachable = store.isReachable();
        long elapsed = System.nanoTime() - started;
        return new DatabaseView(store.backend(), reachable,
                reachable ? BigDecimal.valueOf(elapsed, 6).setScale(2, RoundingMode.HALF_UP).doubleValue() : null);
    }

    StatusView status() {
        return new StatusView(views.circuit(chat.circuit()), webhook(), Views.queue(chat.counts(), chat.waiting()),
                stats(), chat.failures(RECENT_FAILURES, null).stream().map(views::failure).toList());
    }

    private WebhookView webhook() {
        Config config = this.config.get();
        Map<String, Integer> retries = new LinkedHashMap<>();
        retries.put("default", config.maxRetries());
        for (MessageKind kind : MessageKind.values()) {
            retries.put(kind.wireName(), config.maxRetriesFor(kind));
        }
        boolean configured = config.webhookUrl().isPresent();
        return new WebhookView(config.maskedWebhookUrl(), configured, config.webhookTimeout().toSeconds(), retries,
                config.concurrency(), config.ordering().wireName(), config.keepAlive(),
                config.shownValue(Key.WEBHOOK_ATTACHMENTS),
                config.demoReceiver(), configured ? null
                : "WEBHOOK_URL is not set: messages are accepted and wait as queued until one is set (on the settings "
                + "page, or in .env and a restart)");
    }

    private StatsView stats() {
        AttemptStats s = chat.stats();
        Double rate = s.attempts() == 0 ? null : (double) s.succeeded() / s.attempts();
        return new StatsView(s.attempts(), s.succeeded(), s.failed(), rate, Views.iso(s.lastSuccessAt()),
                Views.iso(s.lastFailureAt()));
    }

    /** Every failed attempt, the latest first, a page at a time. */
    private void failures(Request request) throws IOException {
        int limit = ChatRoutes.limit(request);
        Failure.Position before = request.query("before").map(Cursors::failure).orElse(null);
        List<Failure> page = chat.failures(limit + 1, before);
        boolean hasMore = page.size() > limit;
        request.respondJson(200, views.failures(hasMore ? page.subList(0, limit) : page, hasMore));
    }

    /** What a test event's answer says, for the configured webhook and for a URL tried before saving it. */
    static Map<String, Object> testEventView(AttemptOutcome outcome) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", outcome.state().wireName());
        answer.put("status_code", outcome.statusCode());
        answer.put("duration_ms", outcome.durationMs());
        answer.put("error", outcome.error());
        return answer;
    }
}
