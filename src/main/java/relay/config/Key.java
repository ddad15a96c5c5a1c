package relay.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import relay.domain.MessageKind;

/**
 * Every configuration key, its default and what it accepts. The README's table and {@code .env.example} are checked
 * against this list by a test, so the three never drift apart.
 */
public enum Key {
    WEBHOOK_URL(null, "http(s) URL; unset = messages wait as queued"),
    WEBHOOK_TIMEOUT("5", "seconds, 1-30"),
    WEBHOOK_MAX_RETRIES("3", "0-10 background retries after the immediate attempt"),
    WEBHOOK_MAX_RETRIES_TEXT(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_MAX_RETRIES_IMAGE(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_MAX_RETRIES_PDF(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_MAX_RETRIES_DOCUMENT(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_MAX_RETRIES_AUDIO(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_MAX_RETRIES_VIDEO(null, "0-10, default WEBHOOK_MAX_RETRIES"),
    WEBHOOK_RETRY_BASE_SECONDS("2", "seconds, 1-3600"),
    WEBHOOK_RETRY_MAX_SECONDS("60", "seconds, 1-86400, at least WEBHOOK_RETRY_BASE_SECONDS"),
    CIRCUIT_FAILURE_THRESHOLD("5", "1-100 consecutive failures"),
    CIRCUIT_OPEN_SECONDS("60", "seconds, 1-3600"),
    WEBHOOK_SECRET(null, "whsec_ followed by base64 of 24-64 bytes; unset = unsigned"),
    WEBHOOK_USER_AGENT("WhatsApp-Chat-Viewer-Webhook/1.0", "printable ASCII, 1-200 characters"),
    WEBHOOK_CONCURRENCY("16", "1-256 attempts in flight"),
    WEBHOOK_ATTACHMENTS("inline", "inline or url"),
    WEBHOOK_UPLOAD_RATE_KBPS("1024", "KiB per second added to the timeout, 1-1048576"),
    WEBHOOK_ORDERING("conversation", "conversation, strict or none"),
    WEBHOOK_KEEP_ALIVE("false", "true or false: reuse connections to the webhook"),
    HOST("127.0.0.1", "address to bind"),
    PORT("8080", "0-65535 (0 = any free port)"),
    PUBLIC_BASE_URL(null, "http(s) URL; default http://HOST:PORT"),
    ALLOWED_HOSTS(null, "comma-separated host names also accepted in the Host header"),
    TRUST_FORWARDED_FOR("false", "true or false: the client address is the last X-Forwarded-For entry"),
    DATA_DIR("./data", "folder for chat.db and attachments"),
    DATABASE_URL(null, "postgres://user:password@host:5432/db or jdbc:postgresql://…; unset = SQLite in DATA_DIR"),
    DATABASE_POOL_SIZE("16", "2-1000 connections of this instance to DATABASE_URL"),
    INSTANCE_ID(null, "1-64 letters, digits, dots, dashes or underscores; default host name-pid"),
    LEASE_SECONDS("30", "seconds, 5-3600, a claim lasts unless its attempt renews it"),
    MAX_ATTACHMENT_MB("100", "1-2048"),
    DEFAULT_REGION("BR", "ISO 3166 region for numbers written without +"),
    APP_TOKEN(null, "at least 16 characters; unset = no sign-in"),
    SESSION_DAYS("30", "days a sign-in lasts, 1-365"),
    MAX_SESSIONS("100", "1-10000 signed-in sessions; the oldest is ended first"),
    LOGIN_FAILURES_PER_MINUTE("5", "1-1000 failed sign-ins per client address"),
    MAX_CONNECTIONS("1000", "1-100000 open HTTP connections"),
    HEADER_TIMEOUT_SECONDS("10", "seconds, 1-300, to send a request's line and headers"),
    BODY_IDLE_TIMEOUT_SECONDS("30", "seconds, 1-3600, a body may pause in either direction"),
    MAX_EVENT_STREAMS("256", "1-10000 open /chat/events streams"),
    MAX_EVENT_STREAMS_PER_CLIENT("8", "1-1000 per client address, at most MAX_EVENT_STREAMS"),
    WAL_MAX_MB("64", "4-4096 MiB the write-ahead log may grow to"),
    ORPHAN_UPLOAD_HOURS("24", "1-8760 hours an upload no message uses is kept"),
    RETENTION_DAYS(null, "1-36500 days delivered and failed messages are kept; unset = forever"),
    LOG_FORMAT("text", "text or json"),
    DEMO_RECEIVER("true", "true or false");

    private static final Set<Key> LIVE = EnumSet.of(WEBHOOK_URL, WEBHOOK_TIMEOUT, WEBHOOK_MAX_RETRIES,
            WEBHOOK_MAX_RETRIES_TEXT, WEBHOOK_MAX_RETRIES_IMAGE, WEBHOOK_MAX_RETRIES_PDF, WEBHOOK_MAX_RETRIES_DOCUMENT,
            WEBHOOK_MAX_RETRIES_AUDIO, WEBHOOK_MAX_RETRIES_VIDEO, WEBHOOK_RETRY_BASE_SECONDS, WEBHOOK_RETRY_MAX_SECONDS,
            CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_OPEN_SECONDS, WEBHOOK_SECRET, WEBHOOK_CONCURRENCY, WEBHOOK_ATTACHMENTS,
            WEBHOOK_ORDERING);

    private final String defaultValue;
    private final String accepts;

    Key(String defaultValue, String accepts) {
        this.defaultValue = defaultValue;
        this.accepts = accepts;
    }

    /** The default as written in {@code .env.example}, or null when the key is unset by default. */
    public String defaultValue() {
        return defaultValue;
    }

    public String accepts() {
        return accepts;
    }

    public boolean isSecret() {
        return this == WEBHOOK_SECRET || this == APP_TOKEN;
    }

    /**
     * Whether the operator may change it while the service runs (PUT /chat/config): what the delivery engine reads
     * for each attempt. The others shape the server, the store or the pages and take a restart.
     */
    public boolean isLive() {
        return LIVE.contains(this);
    }

    public static Key maxRetriesFor(MessageKind kind) {
        return valueOf("WEBHOOK_MAX_RETRIES_" + kind.name().toUpperCase(Locale.ROOT));
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Key::name).toList();
    }
}
