package relay.config;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import relay.domain.MessageKind;
import relay.domain.Ordering;

/**
 * Builds the one {@link Config} from a {@code .env} file and the process environment (which wins). Every problem
 * is collected, one line each naming the key, the value given (never for secrets) and what is accepted, so a
 * start-up with a bad {@code .env} reports all of them at once instead of falling back silently.
 */
public final class ConfigLoader {

    /** The outcome of loading: a usable configuration (with warnings), or the list of problems. */
    public sealed interface Result permits Loaded, Invalid {
    }

    public record Loaded(Config config, List<String> warnings) implements Result {
    }

    /** Every problem found, in the order found. */
    public record Invalid(List<Problem> found) implements Result {
        public Invalid {
            found = List.copyOf(found);
        }

        /** One line per problem, as start-up prints them. */
        public List<String> problems() {
            return found.stream().map(Problem::message).toList();
        }
    }

    /**
     * One problem: the key it is about (null for one of the file itself, such as a line that is not KEY=VALUE) and
     * the line that says it, naming the key and the value given (never a secret's) and what is accepted.
     */
    public record Problem(Key key, String message) {
    }

    private final Map<Key, String> values = new EnumMap<>(Key.class);
    private final Map<Key, Source> sources = new EnumMap<>(Key.class);
    private final List<Problem> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    private ConfigLoader() {
    }

    /** Reads {@code envFile} when it exists, then lets {@code environment} override it. */
    public static Result load(Path envFile, Map<String, String> environment) {
        ConfigLoader loader = new ConfigLoader();
        loader.readFile(envFile);
        loader.readEnvironment(environment);
        return loader.build();
    }

    /**
     * Builds the configuration again from the values {@code base} was built from, with {@code saved} over them (each
     * saved value's source then says so; a blank one unsets an optional key). The same checks as at start-up, so a
     * value saved on the settings page is accepted exactly when {@code .env} would accept it.
     */
    public static Result revise(Config base, Map<Key, String> saved) {
        ConfigLoader loader = new ConfigLoader();
        base.sources().forEach((key, source) -> {
            if (source != Source.DEFAULT) {
                loader.values.put(key, base.rawValue(key));
                loader.sources.put(key, source);
            }
        });
        saved.forEach((key, value) -> {
            loader.values.put(key, value);
            loader.sources.put(key, Source.SAVED);
        });
        return loader.build();
    }

    /** Builds from explicit values alone (no file, no environment); for wiring tests and tools. */
    public static Config fromValues(Map<String, String> values) {
        ConfigLoader loader = new ConfigLoader();
        loader.readEnvironment(values);
        return switch (loader.build()) {
            case Loaded loaded -> loaded.config();
            case Invalid invalid -> throw new IllegalArgumentException(String.join("\n", invalid.problems()));
        };
    }

    private void readFile(Path envFile) {
        if (!Files.exists(envFile)) {
            return;
        }
        String content;
        try {
            content = Files.readString(envFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add(new Problem(null, envFile + ": cannot be read (" + e.getMessage() + ")"));
            return;
        }
        DotEnv.Parsed parsed = DotEnv.parse(content, envFile.toString());
        parsed.errors().forEach(error -> problems.add(new Problem(null, error)));
        parsed.entries().forEach((name, entry) -> {
            if (Key.names().contains(name)) {
                values.put(Key.valueOf(name), entry.value());
                sources.put(Key.valueOf(name), Source.ENV_FILE);
            } else {
                warnings.add(envFile + ":" + entry.line() + ": unknown key " + name + " is ignored");
            }
        });
    }

    private void readEnvironment(Map<String, String> environment) {
        for (Key key : Key.values()) {
            String value = environment.get(key.name());
            if (value != null) {
                values.put(key, value);
                sources.put(key, Source.ENVIRONMENT);
            }
        }
    }

    private Result build() {
        Optional<URI> webhookUrl = optional(Key.WEBHOOK_URL, v -> httpUrl(Key.WEBHOOK_URL, v));
        int timeout = integer(Key.WEBHOOK_TIMEOUT, 1, 30);
        int maxRetries = integer(Key.WEBHOOK_MAX_RETRIES, 0, 10);
        Map<MessageKind, Integer> byKind = new EnumMap<>(MessageKind.class);
        for (MessageKind kind : MessageKind.values()) {
            byKind.put(kind, optional(Key.maxRetriesFor(kind), v -> parseInt(Key.maxRetriesFor(kind), v, 0, 10))
                    .orElse(maxRetries));
        }
        int retryBase = integer(Key.WEBHOOK_RETRY_BASE_SECONDS, 1, 3600);
        int retryMax = integer(Key.WEBHOOK_RETRY_MAX_SECONDS, 1, 86_400);
        if (retryMax < retryBase && !hasProblem(Key.WEBHOOK_RETRY_BASE_SECONDS, Key.WEBHOOK_RETRY_MAX_SECONDS)) {
            problem(Key.WEBHOOK_RETRY_MAX_SECONDS, "expected at least WEBHOOK_RETRY_BASE_SECONDS (" + retryBase + ")");
        }
        int threshold = integer(Key.CIRCUIT_FAILURE_THRESHOLD, 1, 100);
        int openSeconds = integer(Key.CIRCUIT_OPEN_SECONDS, 1, 3600);
        Optional<Secret> secret = optional(Key.WEBHOOK_SECRET, this::webhookSecret);
        String userAgent = userAgent();
        int concurrency = integer(Key.WEBHOOK_CONCURRENCY, 1, 256);
        Config.AttachmentMode attachments = choice(Key.WEBHOOK_ATTACHMENTS, Config.AttachmentMode.class);
        int uploadRate = integer(Key.WEBHOOK_UPLOAD_RATE_KBPS, 1, 1_048_576);
        Ordering ordering = choice(Key.WEBHOOK_ORDERING, Ordering.class);
        boolean keepAlive = bool(Key.WEBHOOK_KEEP_ALIVE);
        String host = nonBlank(Key.HOST);
        int port = integer(Key.PORT, 0, 65_535);
        Optional<URI> publicBase = optional(Key.PUBLIC_BASE_URL, v -> httpUrl(Key.PUBLIC_BASE_URL, v));
        List<String> allowedHosts = optional(Key.ALLOWED_HOSTS, this::hostNames).orElse(List.of());
        boolean trustForwardedFor = bool(Key.TRUST_FORWARDED_FOR);
        Path dataDir = Path.of(nonBlank(Key.DATA_DIR));
        Optional<DatabaseUrl> databaseUrl = optional(Key.DATABASE_URL, this::databaseUrl);
        int poolSize = integer(Key.DATABASE_POOL_SIZE, 2, 1000);
        String instanceId = optional(Key.INSTANCE_ID, this::instanceId).orElseGet(InstanceId::ofThisProcess);
        int leaseSeconds = integer(Key.LEASE_SECONDS, 5, 3600);
        int maxMb = integer(Key.MAX_ATTACHMENT_MB, 1, 2048);
        String region = region();
        Optional<Secret> appToken = optional(Key.APP_TOKEN, this::appToken);
        Config.Limits limits = limits();
        Config.Housekeeping housekeeping = new Config.Housekeeping(
                Duration.ofHours(integer(Key.ORPHAN_UPLOAD_HOURS, 1, 8760)),
                optional(Key.RETENTION_DAYS, v -> parseInt(Key.RETENTION_DAYS, v, 1, 36_500))
                        .map(Duration::ofDays));
        Config.LogFormat logFormat = choice(Key.LOG_FORMAT, Config.LogFormat.class);
        boolean demo = bool(Key.DEMO_RECEIVER);
        if (!problems.isEmpty()) {
            return new Invalid(List.copyOf(problems));
        }
        Map<Key, Source> allSources = new EnumMap<>(Key.class);
        for (Key key : Key.values()) {
            allSources.put(key, sources.getOrDefault(key, Source.DEFAULT));
        }
        return new Loaded(new Config(webhookUrl, Duration.ofSeconds(timeout), maxRetries, byKind,
                Duration.ofSeconds(retryBase), Duration.ofSeconds(retryMax), threshold, Duration.ofSeconds(openSeconds),
                secret, userAgent, concurrency, attachments, uploadRate, ordering, keepAlive, host, port, publicBase,
                allowedHosts, trustForwardedFor, dataDir, databaseUrl, poolSize, instanceId,
                Duration.ofSeconds(leaseSeconds), maxMb, region, appToken, limits, housekeeping,
                logFormat, demo, allSources), List.copyOf(warnings));
    }

    private Config.Limits limits() {
        int sessionDays = integer(Key.SESSION_DAYS, 1, 365);
        int maxSessions = integer(Key.MAX_SESSIONS, 1, 10_000);
        int loginFailures = integer(Key.LOGIN_FAILURES_PER_MINUTE, 1, 1000);
        int maxConnections = integer(Key.MAX_CONNECTIONS, 1, 100_000);
        int headerTimeout = integer(Key.HEADER_TIMEOUT_SECONDS, 1, 300);
        int bodyIdleTimeout = integer(Key.BODY_IDLE_TIMEOUT_SECONDS, 1, 3600);
        int maxStreams = integer(Key.MAX_EVENT_STREAMS, 1, 10_000);
        int maxStreamsPerClient = integer(Key.MAX_EVENT_STREAMS_PER_CLIENT, 1, 1000);
        if (maxStreamsPerClient > maxStreams && !hasProblem(Key.MAX_EVENT_STREAMS, Key.MAX_EVENT_STREAMS_PER_CLIENT)) {
            problem(Key.MAX_EVENT_STREAMS_PER_CLIENT, "expected at most MAX_EVENT_STREAMS (" + maxStreams + ")");
        }
        int walMaxMb = integer(Key.WAL_MAX_MB, 4, 4096);
        return new Config.Limits(Duration.ofDays(sessionDays), maxSessions, loginFailures, maxConnections,
                Duration.ofSeconds(headerTimeout), Duration.ofSeconds(bodyIdleTimeout), maxStreams,
                maxStreamsPerClient, walMaxMb * 1024L * 1024L);
    }

    /** Host names as the Host header carries them: letters, digits, dots and dashes, or an IP literal. */
    private List<String> hostNames(String value) {
        List<String> hosts = new ArrayList<>();
        for (String part : value.split(",")) {
            String host = part.strip().toLowerCase(Locale.ROOT);
            if (host.isEmpty()) {
                continue;
            }
            if (!host.matches("[a-z0-9.-]{1,253}|\\[[0-9a-f:.]{2,45}]")) {
                problem(Key.ALLOWED_HOSTS, host, "expected host names without port, such as chat.example.com");
                continue;
            }
            hosts.add(host);
        }
        return hosts;
    }

    private String raw(Key key) {
        String value = values.get(key);
        return value != null ? value : key.defaultValue();
    }

    private <T> Optional<T> optional(Key key, Function<String, T> parse) {
        String value = values.get(key);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.ofNullable(parse.apply(value.strip()));
    }

    private int integer(Key key, int min, int max) {
        Integer value = parseInt(key, raw(key).strip(), min, max);
        return value == null ? min : value;
    }

    private Integer parseInt(Key key, String value, int min, int max) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted range
        }
        problem(key, value, "expected a whole number from " + min + " to " + max);
        return null;
    }

    private <E extends Enum<E>> E choice(Key key, Class<E> type) {
        String value = raw(key).strip();
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value)) {
                return constant;
            }
        }
        problem(key, value, "expected " + key.accepts());
        return type.getEnumConstants()[0];
    }

    private boolean bool(Key key) {
        String value = raw(key).strip().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            problem(key, value, "expected true or false");
        }
        return value.equals("true");
    }

    private String nonBlank(Key key) {
        String value = raw(key).strip();
        if (value.isEmpty()) {
            problem(key, value, "expected a non-empty value");
            return key.defaultValue();
        }
        return value;
    }

    private URI httpUrl(Key key, String value) {
        try {
            URI uri = new URI(value);
            if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    && uri.getHost() != null && uri.getRawFragment() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problem(key, Masking.maskUrl(value), "expected an absolute http:// or https:// URL with a host");
        return null;
    }

    /**
     * A URL that cannot be read is not shown even masked: without knowing where its password ends, any part of it
     * could be the password.
     */
    private DatabaseUrl databaseUrl(String value) {
        try {
            return DatabaseUrl.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(Key.DATABASE_URL, Key.DATABASE_URL + " (value hidden): " + e.getMessage()));
            return null;
        }
    }

    private String instanceId(String value) {
        if (!InstanceId.isValid(value)) {
            problem(Key.INSTANCE_ID, value, "expected " + Key.INSTANCE_ID.accepts());
        }
        return value;
    }

    private Secret webhookSecret(String value) {
        if (value.startsWith("whsec_")) {
            try {
                int length = Base64.getDecoder().decode(value.substring("whsec_".length())).length;
                if (length >= 24 && length <= 64) {
                    return new Secret(value);
                }
            } catch (IllegalArgumentException e) {
                // reported below
            }
        }
        problems.add(new Problem(Key.WEBHOOK_SECRET, Key.WEBHOOK_SECRET + " (value hidden): expected "
                + Key.WEBHOOK_SECRET.accepts()));
        return null;
    }

    private Secret appToken(String value) {
        if (value.length() < 16 || !value.chars().allMatch(c -> c > 32 && c < 127)) {
            problems.add(new Problem(Key.APP_TOKEN, Key.APP_TOKEN
                    + " (value hidden): expected at least 16 printable characters without spaces"));
            return null;
        }
        return new Secret(value);
    }

    private String userAgent() {
        String value = raw(Key.WEBHOOK_USER_AGENT).strip();
        if (value.isEmpty() || value.length() > 200 || !value.chars().allMatch(c -> c >= 32 && c < 127)) {
            problem(Key.WEBHOOK_USER_AGENT, value, "expected " + Key.WEBHOOK_USER_AGENT.accepts());
        }
        return value;
    }

    private String region() {
        String value = raw(Key.DEFAULT_REGION).strip().toUpperCase(Locale.ROOT);
        if (!PhoneNumberUtil.getInstance().getSupportedRegions().contains(value)) {
            problem(Key.DEFAULT_REGION, value, "expected a two-letter region code such as BR, US or PT");
        }
        return value;
    }

    private boolean hasProblem(Key... keys) {
        for (Key key : keys) {
            if (problems.stream().anyMatch(p -> p.key() == key)) {
                return true;
            }
        }
        return false;
    }

    private void problem(Key key, String value, String expected) {
        problems.add(new Problem(key, key + "=" + value + ": " + expected));
    }

    private void problem(Key key, String expected) {
        problems.add(new Problem(key, key + "=" + raw(key) + ": " + expected));
    }
}
