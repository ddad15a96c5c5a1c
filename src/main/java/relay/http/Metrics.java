package relay.http;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import relay.chat.ChatService;
import relay.domain.AttemptMetrics;
import relay.domain.Circuit;
import relay.domain.DeliveryState;
import relay.store.HousekeepingTotals;
import relay.store.StoreStatus;
import relay.webhook.CircuitBreaker;

/**
 * {@code GET /metrics} in the Prometheus text format. Counters are read from the outbox, so they survive restarts
 * and agree with the status page; nothing is counted twice in memory. Every sample carries {@code instance="…"},
 * this instance's id: instances sharing one database report the same store-wide totals, and a scraper that
 * reaches them through one load-balanced address still tells their series apart.
 */
final class Metrics implements Handler {
    /** Upper bounds of the attempt duration histogram, in milliseconds. */
    private static final List<Long> BUCKETS_MS = List.of(10L, 25L, 50L, 100L, 250L, 500L, 1000L, 2500L, 5000L,
            10000L, 30000L, 60000L);

    private final ChatService chat;
    private final StoreStatus store;
    /** {@code instance="…"}: INSTANCE_ID allows only characters a label value needs no escape for. */
    private final String instanceLabel;

    Metrics(ChatService chat, StoreStatus store, String instanceId) {
        this.chat = chat;
        this.store = store;
        this.instanceLabel = "instance=\"" + instanceId + "\"";
    }

    @Override
    public void handle(Request request) throws IOException {
        byte[] body = render().getBytes(StandardCharsets.UTF_8);
        var headers = request.exchange().getResponseHeaders();
        headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        headers.set("Cache-Control", "no-store");
        request.exchange().sendResponseHeaders(200, body.length);
        try (OutputStream out = request.exchange().getResponseBody()) {
            out.write(body);
        }
    }

    String render() {
        AttemptMetrics m = chat.metrics(BUCKETS_MS);
        StringBuilder out = new StringBuilder();
        family(out, "relay_messages_accepted_total", "counter", "Messages accepted into the outbox.");
        sample(out, "relay_messages_accepted_total", "", m.messages());
        family(out, "relay_webhook_attempts_total", "counter", "Webhook attempts by result.");
        sample(out, "relay_webhook_attempts_total", "{result=\"success\"}", m.succeeded());
        sample(out, "relay_webhook_attempts_total", "{result=\"http_error\"}", m.httpErrors());
        sample(out, "relay_webhook_attempts_total", "{result=\"network_error\"}", m.networkErrors());
        histogram(out, m);
        family(out, "relay_deliveries", "gauge", "Deliveries by state: queue depth and final outcomes.");
        for (Map.Entry<DeliveryState, Long> e : chat.counts().entrySet()) {
            sample(out, "relay_deliveries", "{state=\"" + e.getKey().wireName() + "\"}", e.getValue());
        }
        CircuitBreaker.Snapshot circuit = chat.circuit();
        family(out, "relay_circuit_state", "gauge", "1 for the circuit's current state.");
        for (Circuit.State state : Circuit.State.values()) {
            sample(out, "relay_circuit_state", "{state=\"" + state.name().toLowerCase(Locale.ROOT) + "\"}",
                    state == circuit.state() ? 1 : 0);
        }
        family(out, "relay_circuit_consecutive_failures", "gauge", "Consecutive failed attempts counted by the circuit.");
        sample(out, "relay_circuit_consecutive_failures", "", circuit.consecutiveFailures());
        housekeeping(out, store.deletedByHousekeeping());
        return out.toString();
    }

    private void histogram(StringBuilder out, AttemptMetrics m) {
        String name = "relay_webhook_attempt_duration_seconds";
        family(out, name, "histogram", "How long webhook attempts took.");
        for (int i = 0; i < m.bucketMillis().size(); i++) {
            sample(out, name + "_bucket", "{le=\"" + seconds(m.bucketMillis().get(i)) + "\"}", m.bucketCounts().get(i));
        }
        sample(out, name + "_bucket", "{le=\"+Inf\"}", m.attempts());
        out.append(name).append("_sum").append(labels("")).append(' ').append(seconds(m.totalDurationMillis()))
                .append('\n');
        sample(out, name + "_count", "", m.attempts());
    }

    private void housekeeping(StringBuilder out, HousekeepingTotals deleted) {
        String name = "relay_housekeeping_deleted_total";
        family(out, name, "counter", "Deleted by housekeeping: uploads no message used, messages past retention,"
                + " attachment files no longer used.");
        for (HousekeepingTotals.Kind kind : HousekeepingTotals.Kind.values()) {
            sample(out, name, "{kind=\"" + kind.label() + "\"}", deleted.of(kind));
        }
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(StringBuilder out, String name, String labels, long value) {
        out.append(name).append(labels(labels)).append(' ').append(value).append('\n');
    }

    /** {@code labels} ("" or {@code {a="b"}}) with the instance's label first. */
    private String labels(String labels) {
        return "{" + instanceLabel + (labels.isEmpty() ? "}" : "," + labels.substring(1));
    }

    private static String seconds(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
