package relay.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import relay.domain.MessageKind;
import relay.domain.Ordering;

/**
 * The configuration in force: validated once at start-up by {@link ConfigLoader}, immutable afterwards.
 *
 * @param webhookUrl    where messages go; empty means messages wait as {@code queued}
 * @param ordering      the head-of-line policy of each conversation
 * @param keepAlive     whether webhook requests reuse connections (else each goes with {@code Connection: close})
 * @param publicBaseUrl the address the service is reached at from outside; empty means {@code http://HOST:PORT}
 * @param allowedHosts  host names accepted in the {@code Host} header beyond this service's own addresses
 * @param limits        the bounds on what clients may hold: connections, timeouts, streams, sessions, sign-ins
 * @param housekeeping  how long unused uploads and finished messages are kept
 * @param databaseUrl   the PostgreSQL store; empty means SQLite in {@code dataDir}
 * @param databasePoolSize connections this instance keeps to {@code databaseUrl}
 * @param instanceId    names this instance in its claims, {@code /healthz} and {@code /metrics}
 * @param lease         how long a claim on a delivery lasts unless its attempt renews it
 * @param sources       where each key's value came from, for the settings page
 */
public record Config(
        Optional<URI> webhookUrl,
        Duration webhookTimeout,
        int maxRetries,
        Map<MessageKind, Integer> maxRetriesByKind,
        Duration retryBase,
        Duration retryMax,
        int circuitFailureThreshold,
        Duration circuitOpen,
        Optional<Secret> webhookSecret,
        String userAgent,
        int concurrency,
        AttachmentMode attachments,
        int uploadRateKbps,
        Ordering ordering,
        boolean keepAlive,
        String host,
        int port,
        Optional<URI> publicBaseUrl,
        List<String> allowedHosts,
        boolean trustForwardedFor,
        Path dataDir,
        Optional<DatabaseUrl> databaseUrl,
        int databasePoolSize,
        String instanceId,
        Duration lease,
        int maxAttachmentMb,
        String defaultRegion,
        Optional<Secret> appToken,
        Limits limits,
        Housekeeping housekeeping,
        LogFormat logFormat,
        boolean demoReceiver,
        Map<Key, Source> sources) {

    public enum AttachmentMode { INLINE, URL }

    public enum LogFormat { TEXT, JSON }

    /**
     * What one client, or all of them together, may hold at once.
     *
     * @param sessionLifetime          how long a sign-in lasts
     * @param maxSessions              signed-in sessions kept; a new sign-in beyond it ends the oldest
     * @param loginFailuresPerMinute   failed sign-ins per client address before it must wait
     * @param maxConnections           open HTTP connections; more are closed as they arrive
     * @param headerTimeout            time to send the request line and headers
     * @param bodyIdleTimeout          time a request or response body may go without a byte moving
     * @param maxEventStreams          open event streams in all
     * @param maxEventStreamsPerClient open event streams of one client address
     * @param walMaxBytes              size the write-ahead log is brought back under
     */
    public record Limits(Duration sessionLifetime, int maxSessions, int loginFailuresPerMinute, int maxConnections,
                         Duration headerTimeout, Duration bodyIdleTimeout, int maxEventStreams,
                         int maxEventStreamsPerClient, long walMaxBytes) {
    }

    /**
     * @param orphanUploadAge how long an upload that no message uses is kept
     * @param retention       how long delivered and failed messages are kept; empty = forever
     */
    public record Housekeeping(Duration orphanUploadAge, Optional<Duration> retention) {
    }

    public Config {
        allowedHosts = List.copyOf(allowedHosts);
        maxRetriesByKind = Map.copyOf(new EnumMap<>(maxRetriesByKind));
        sources = Map.copyOf(sources);
    }

    /** Background retries allowed after the immediate attempt for a message of this kind. */
    public int maxRetriesFor(MessageKind kind) {
        return maxRetriesByKind.getOrDefault(kind, maxRetries);
    }

    public long maxAttachmentBytes() {
        return maxAttachmentMb * 1024L * 1024L;
    }

    /** The webhook URL with its path and query masked, safe for logs and status; null when none is set. */
    public String maskedWebhookUrl() {
        return webhookUrl.map(Masking::maskUrl).orElse(null);
    }

    /**
     * The value in force for {@code key} as the settings page shows it: secrets as a mask, the webhook URL masked,
     * unset optional values as null.
     */
    public String shownValue(Key key) {
        return switch (key) {
            case WEBHOOK_URL -> maskedWebhookUrl();
            case WEBHOOK_TIMEOUT -> String.valueOf(webhookTimeout.toSeconds());
            case WEBHOOK_MAX_RETRIES -> String.valueOf(maxRetries);
            case WEBHOOK_MAX_RETRIES_TEXT, WEBHOOK_MAX_RETRIES_IMAGE, WEBHOOK_MAX_RETRIES_PDF,
                 WEBHOOK_MAX_RETRIES_DOCUMENT, WEBHOOK_MAX_RETRIES_AUDIO, WEBHOOK_MAX_RETRIES_VIDEO ->
                    String.valueOf(maxRetriesFor(MessageKind.valueOf(key.name().substring(
                            Key.WEBHOOK_MAX_RETRIES.name().length() + 1))));
            case WEBHOOK_RETRY_BASE_SECONDS -> String.valueOf(retryBase.toSeconds());
            case WEBHOOK_RETRY_MAX_SECONDS -> String.valueOf(retryMax.toSeconds());
            case CIRCUIT_FAILURE_THRESHOLD -> String.valueOf(circuitFailureThreshold);
            case CIRCUIT_OPEN_SECONDS -> String.valueOf(circuitOpen.toSeconds());
            case WEBHOOK_SECRET -> webhookSecret.map(Secret::toString).orElse(null);
            case WEBHOOK_USER_AGENT -> userAgent;
            case WEBHOOK_CONCURRENCY -> String.valueOf(concurrency);
            case WEBHOOK_ATTACHMENTS -> attachments.name().toLowerCase(Locale.ROOT);
            case WEBHOOK_UPLOAD_RATE_KBPS -> String.valueOf(uploadRateKbps);
            case WEBHOOK_ORDERING -> ordering.wireName();
            case WEBHOOK_KEEP_ALIVE -> String.valueOf(keepAlive);
            case HOST -> host;
            case PORT -> String.valueOf(port);
            case PUBLIC_BASE_URL -> publicBaseUrl.map(URI::toString).orElse(null);
            case ALLOWED_HOSTS -> allowedHosts.isEmpty() ? null : String.join(",", allowedHosts);
            case TRUST_FORWARDED_FOR -> String.valueOf(trustForwardedFor);
            case DATA_DIR -> dataDir.toString();
            case DATABASE_URL -> databaseUrl.map(DatabaseUrl::masked).orElse(null);
            case DATABASE_POOL_SIZE -> String.valueOf(databasePoolSize);
            case INSTANCE_ID -> instanceId;
            case LEASE_SECONDS -> String.valueOf(lease.toSeconds());
            case MAX_ATTACHMENT_MB -> String.valueOf(maxAttachmentMb);
            case DEFAULT_REGION -> defaultRegion;
            case APP_TOKEN -> appToken.map(Secret::toString).orElse(null);
            case SESSION_DAYS -> String.valueOf(limits.sessionLifetime().toDays());
            case MAX_SESSIONS -> String.valueOf(limits.maxSessions());
            case LOGIN_FAILURES_PER_MINUTE -> String.valueOf(limits.loginFailuresPerMinute());
            case MAX_CONNECTIONS -> String.valueOf(limits.maxConnections());
            case HEADER_TIMEOUT_SECONDS -> String.valueOf(limits.headerTimeout().toSeconds());
            case BODY_IDLE_TIMEOUT_SECONDS -> String.valueOf(limits.bodyIdleTimeout().toSeconds());
            case MAX_EVENT_STREAMS -> String.valueOf(limits.maxEventStreams());
            case MAX_EVENT_STREAMS_PER_CLIENT -> String.valueOf(limits.maxEventStreamsPerClient());
            case WAL_MAX_MB -> String.valueOf(limits.walMaxBytes() / (1024 * 1024));
            case ORPHAN_UPLOAD_HOURS -> String.valueOf(housekeeping.orphanUploadAge().toHours());
            case RETENTION_DAYS -> housekeeping.retention().map(d -> String.valueOf(d.toDays())).orElse(null);
            case LOG_FORMAT -> logFormat.name().toLowerCase(Locale.ROOT);
            case DEMO_RECEIVER -> String.valueOf(demoReceiver);
        };
    }

    /**
     * The value in force for {@code key} written as {@code .env} would write it, the webhook URL and secrets
     * included: only for building the configuration again ({@link ConfigLoader#revise}), never to be shown.
     */
    String rawValue(Key key) {
        return switch (key) {
            case WEBHOOK_URL -> webhookUrl.map(URI::toString).orElse(null);
            case WEBHOOK_SECRET -> webhookSecret.map(Secret::reveal).orElse(null);
            case APP_TOKEN -> appToken.map(Secret::reveal).orElse(null);
            default -> shownValue(key);
        };
    }

    /** The base of links handed to others, given the port actually bound (PORT=0 picks a free one). */
    public URI publicBaseUrl(int boundPort) {
        return publicBaseUrl.orElseGet(() -> URI.create("http://" + hostForUrl() + ":" + boundPort));
    }

    private String hostForUrl() {
        if (host.equals("0.0.0.0") || host.equals("::")) {
            return "localhost";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
