package relay.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import relay.chat.MessageKind;

/**
 * The configuration in force: validated once at start-up by {@link ConfigLoader}, immutable afterwards.
 *
 * @param webhookUrl    where messages go; empty means messages wait as {@code queued}
 * @param publicBaseUrl the address the service is reached at from outside; empty means {@code http://HOST:PORT}
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
        String host,
        int port,
        Optional<URI> publicBaseUrl,
        Path dataDir,
        int maxAttachmentMb,
        String defaultRegion,
        Optional<Secret> appToken,
        LogFormat logFormat,
        boolean demoReceiver,
        Map<Key, Source> sources) {

    public enum AttachmentMode { INLINE, URL }

    public enum LogFormat { TEXT, JSON }

    public Config {
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
            case HOST -> host;
            case PORT -> String.valueOf(port);
            case PUBLIC_BASE_URL -> publicBaseUrl.map(URI::toString).orElse(null);
            case DATA_DIR -> dataDir.toString();
            case MAX_ATTACHMENT_MB -> String.valueOf(maxAttachmentMb);
            case DEFAULT_REGION -> defaultRegion;
            case APP_TOKEN -> appToken.map(Secret::toString).orElse(null);
            case LOG_FORMAT -> logFormat.name().toLowerCase(Locale.ROOT);
            case DEMO_RECEIVER -> String.valueOf(demoReceiver);
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
