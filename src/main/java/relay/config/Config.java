package relay.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
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
