package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.domain.MessageKind;
import relay.domain.Ordering;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path envFile(String content) throws IOException {
        return Files.writeString(dir.resolve(".env"), content);
    }

    private static Config loaded(ConfigLoader.Result result) {
        return assertInstanceOf(ConfigLoader.Loaded.class, result, result::toString).config();
    }

    private static List<String> problems(ConfigLoader.Result result) {
        return assertInstanceOf(ConfigLoader.Invalid.class, result, result::toString).problems();
    }

    @Test
    void shouldUseDocumentedDefaultsWhenNothingIsSet() {
        Config config = loaded(ConfigLoader.load(dir.resolve("missing.env"), Map.of()));

        assertEquals(Optional.empty(), config.webhookUrl());
        assertEquals(Duration.ofSeconds(5), config.webhookTimeout());
        assertEquals(3, config.maxRetries());
        assertEquals(3, config.maxRetriesFor(MessageKind.VIDEO));
        assertEquals(Duration.ofSeconds(2), config.retryBase());
        assertEquals(Duration.ofSeconds(60), config.retryMax());
        assertEquals(5, config.circuitFailureThreshold());
        assertEquals(Duration.ofSeconds(60), config.circuitOpen());
        assertEquals(Optional.empty(), config.webhookSecret());
        assertEquals("WhatsApp-Chat-Viewer-Webhook/1.0", config.userAgent());
        assertEquals(16, config.concurrency());
        assertEquals(Config.AttachmentMode.INLINE, config.attachments());
        assertEquals(1024, config.uploadRateKbps());
        assertEquals(Ordering.CONVERSATION, config.ordering());
        assertFalse(config.keepAlive());
        assertEquals("127.0.0.1", config.host());
        assertEquals(8080, config.port());
        assertEquals(URI.create("http://127.0.0.1:8080"), config.publicBaseUrl(8080));
        assertEquals(Path.of("./data"), config.dataDir());
        assertEquals(100L * 1024 * 1024, config.maxAttachmentBytes());
        assertEquals("BR", config.defaultRegion());
        assertEquals(Optional.empty(), config.appToken());
        assertEquals(Config.LogFormat.TEXT, config.logFormat());
        assertTrue(config.demoReceiver());
        assertTrue(config.sources().values().stream().allMatch(Source.DEFAULT::equals));
        assertEquals(List.of(), config.allowedHosts());
        assertFalse(config.trustForwardedFor());
        assertEquals(new Config.Limits(Duration.ofDays(30), 100, 5, 1000, Duration.ofSeconds(10),
                Duration.ofSeconds(30), 256, 8, 64L * 1024 * 1024), config.limits());
        assertEquals(new Config.Housekeeping(Duration.ofHours(24), Optional.empty()), config.housekeeping());
        assertEquals(16, config.databasePoolSize());
        assertEquals(Duration.ofSeconds(30), config.lease());
        assertTrue(config.instanceId().matches("[A-Za-z0-9._-]{1,64}"), config.instanceId());
        assertTrue(config.instanceId().endsWith("-" + ProcessHandle.current().pid()), config.instanceId());
        assertEquals(config.instanceId(), config.shownValue(Key.INSTANCE_ID));
    }

    @Test
    void shouldReadTheInstanceItsLeaseAndItsPool() {
        Config config = loaded(ConfigLoader.load(dir.resolve("missing.env"), Map.of(
                "INSTANCE_ID", "web-2.eu_west", "LEASE_SECONDS", "90", "DATABASE_POOL_SIZE", "40")));

        assertEquals("web-2.eu_west", config.instanceId());
        assertEquals(Duration.ofSeconds(90), config.lease());
        assertEquals(40, config.databasePoolSize());
        assertEquals("90", config.shownValue(Key.LEASE_SECONDS));
        assertEquals("40", config.shownValue(Key.DATABASE_POOL_SIZE));
        assertEquals(Source.ENVIRONMENT, config.sources().get(Key.INSTANCE_ID));
    }

    @Test
    void shouldReadTheLimitsAndHousekeeping() {
        Config config = loaded(ConfigLoader.load(dir.resolve("missing.env"), Map.of(
                "ALLOWED_HOSTS", " Chat.Example.com, [::1] ,", "MAX_EVENT_STREAMS", "4",
                "MAX_EVENT_STREAMS_PER_CLIENT", "4", "RETENTION_DAYS", "90", "WAL_MAX_MB", "16")));

        assertEquals(List.of("chat.example.com", "[::1]"), config.allowedHosts());
        assertEquals(4, config.limits().maxEventStreamsPerClient());
        assertEquals(16L * 1024 * 1024, config.limits().walMaxBytes());
        assertEquals(Optional.of(Duration.ofDays(90)), config.housekeeping().retention());
        assertEquals("90", config.shownValue(Key.RETENTION_DAYS));
        assertEquals("chat.example.com,[::1]", config.shownValue(Key.ALLOWED_HOSTS));
    }

    @Test
    void shouldReadTheOrderingAndKeepAliveFromValuesAndTheEnvironment() {
        Config fromValues = ConfigLoader.fromValues(Map.of("WEBHOOK_ORDERING", "Strict", "WEBHOOK_KEEP_ALIVE", "true"));
        Config fromEnvironment = loaded(ConfigLoader.load(dir.resolve("missing.env"),
                Map.of("WEBHOOK_ORDERING", "none")));

        assertEquals(Ordering.STRICT, fromValues.ordering());
        assertTrue(fromValues.keepAlive());
        assertEquals("strict", fromValues.shownValue(Key.WEBHOOK_ORDERING));
        assertEquals("true", fromValues.shownValue(Key.WEBHOOK_KEEP_ALIVE));
        assertEquals(Ordering.NONE, fromEnvironment.ordering());
        assertEquals(Source.ENVIRONMENT, fromEnvironment.sources().get(Key.WEBHOOK_ORDERING));
    }

    @Test
    void shouldRefuseLimitsThatContradictEachOther() {
        List<String> problems = problems(ConfigLoader.load(dir.resolve("missing.env"), Map.of(
                "ALLOWED_HOSTS", "chat.example.com:443", "MAX_EVENT_STREAMS", "4",
                "MAX_EVENT_STREAMS_PER_CLIENT", "5", "RETENTION_DAYS", "0", "HEADER_TIMEOUT_SECONDS", "0")));

        assertEquals(List.of(
                "ALLOWED_HOSTS=chat.example.com:443: expected host names without port, such as chat.example.com",
                "HEADER_TIMEOUT_SECONDS=0: expected a whole number from 1 to 300",
                "MAX_EVENT_STREAMS_PER_CLIENT=5: expected at most MAX_EVENT_STREAMS (4)",
                "RETENTION_DAYS=0: expected a whole number from 1 to 36500"), problems);
    }

    @Test
    void shouldReadTheFileAndLetTheEnvironmentOverrideIt() throws IOException {
        Path env = envFile("""
                WEBHOOK_URL=https://api.example.com/hook/abcdef123456
                WEBHOOK_TIMEOUT=30  # now configurable
                PORT=9000
                WEBHOOK_MAX_RETRIES_VIDEO=7
                """);

        Config config = loaded(ConfigLoader.load(env, Map.of("PORT", "9100", "PATH", "/usr/bin")));

        assertEquals(URI.create("https://api.example.com/hook/abcdef123456"), config.webhookUrl().orElseThrow());
        assertEquals(Duration.ofSeconds(30), config.webhookTimeout());
        assertEquals(9100, config.port());
        assertEquals(7, config.maxRetriesFor(MessageKind.VIDEO));
        assertEquals(3, config.maxRetriesFor(MessageKind.PDF));
        assertEquals(Source.ENV_FILE, config.sources().get(Key.WEBHOOK_TIMEOUT));
        assertEquals(Source.ENVIRONMENT, config.sources().get(Key.PORT));
        assertEquals(Source.DEFAULT, config.sources().get(Key.HOST));
    }

    @Test
    void shouldWarnAboutUnknownKeysInTheFileWithoutFailing() throws IOException {
        Path env = envFile("WEBHOOK_TIMOUT=10\n");

        ConfigLoader.Loaded loaded = assertInstanceOf(ConfigLoader.Loaded.class, ConfigLoader.load(env, Map.of()));

        assertEquals(List.of(env + ":1: unknown key WEBHOOK_TIMOUT is ignored"), loaded.warnings());
    }

    @Test
    void shouldReportMalformedLinesAndBadValuesTogether() throws IOException {
        Path env = envFile("PORT=80800\nthis is not a setting\nWEBHOOK_TIMEOUT=0\n");

        List<String> problems = problems(ConfigLoader.load(env, Map.of()));

        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.contains(env + ":2: expected KEY=VALUE (KEY of letters, digits and _)"), problems.toString());
        assertTrue(problems.contains("PORT=80800: expected a whole number from 0 to 65535"));
        assertTrue(problems.contains("WEBHOOK_TIMEOUT=0: expected a whole number from 1 to 30"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "WEBHOOK_URL                | ftp://example.com/x        | WEBHOOK_URL=ftp://example.com/…: expected an absolute http:// or https:// URL with a host",
        "WEBHOOK_URL                | not a url                  | expected an absolute http:// or https:// URL",
        "WEBHOOK_URL                | /relative/path             | expected an absolute http:// or https:// URL",
        "WEBHOOK_TIMEOUT            | 31                         | WEBHOOK_TIMEOUT=31: expected a whole number from 1 to 30",
        "WEBHOOK_TIMEOUT            | five                       | WEBHOOK_TIMEOUT=five: expected a whole number from 1 to 30",
        "WEBHOOK_MAX_RETRIES        | 11                         | WEBHOOK_MAX_RETRIES=11: expected a whole number from 0 to 10",
        "WEBHOOK_MAX_RETRIES        | -1                         | WEBHOOK_MAX_RETRIES=-1: expected a whole number from 0 to 10",
        "WEBHOOK_MAX_RETRIES_AUDIO  | 99                         | WEBHOOK_MAX_RETRIES_AUDIO=99: expected a whole number from 0 to 10",
        "WEBHOOK_RETRY_BASE_SECONDS | 0                          | WEBHOOK_RETRY_BASE_SECONDS=0: expected a whole number from 1 to 3600",
        "WEBHOOK_RETRY_MAX_SECONDS  | 1                          | WEBHOOK_RETRY_MAX_SECONDS=1: expected at least WEBHOOK_RETRY_BASE_SECONDS (2)",
        "WEBHOOK_RETRY_MAX_SECONDS  | 90000                      | WEBHOOK_RETRY_MAX_SECONDS=90000: expected a whole number from 1 to 86400",
        "CIRCUIT_FAILURE_THRESHOLD  | 0                          | CIRCUIT_FAILURE_THRESHOLD=0: expected a whole number from 1 to 100",
        "CIRCUIT_FAILURE_THRESHOLD  | 101                        | CIRCUIT_FAILURE_THRESHOLD=101: expected a whole number from 1 to 100",
        "CIRCUIT_OPEN_SECONDS       | 3601                       | CIRCUIT_OPEN_SECONDS=3601: expected a whole number from 1 to 3600",
        "WEBHOOK_SECRET             | whsec_not!base64           | WEBHOOK_SECRET (value hidden): expected whsec_",
        "WEBHOOK_SECRET             | c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0 | WEBHOOK_SECRET (value hidden): expected whsec_",
        "WEBHOOK_SECRET             | whsec_c2hvcnQ=             | WEBHOOK_SECRET (value hidden): expected whsec_",
        "WEBHOOK_USER_AGENT         | 'bad\tagent'               | WEBHOOK_USER_AGENT=",
        "WEBHOOK_CONCURRENCY        | 0                          | WEBHOOK_CONCURRENCY=0: expected a whole number from 1 to 256",
        "WEBHOOK_CONCURRENCY        | 257                        | WEBHOOK_CONCURRENCY=257: expected a whole number from 1 to 256",
        "WEBHOOK_ATTACHMENTS        | base64                     | WEBHOOK_ATTACHMENTS=base64: expected inline or url",
        "WEBHOOK_UPLOAD_RATE_KBPS   | 0                          | WEBHOOK_UPLOAD_RATE_KBPS=0: expected a whole number from 1 to 1048576",
        "WEBHOOK_ORDERING           | fifo                       | WEBHOOK_ORDERING=fifo: expected conversation, strict or none",
        "WEBHOOK_KEEP_ALIVE         | yes                        | WEBHOOK_KEEP_ALIVE=yes: expected true or false",
        "HOST                       | '  '                       | HOST=: expected a non-empty value",
        "PORT                       | 65536                      | PORT=65536: expected a whole number from 0 to 65535",
        "PORT                       | http                       | PORT=http: expected a whole number from 0 to 65535",
        "PUBLIC_BASE_URL            | example.com                | PUBLIC_BASE_URL=",
        "DATA_DIR                   | ''                         | DATA_DIR=: expected a non-empty value",
        "DATABASE_POOL_SIZE         | 1                          | DATABASE_POOL_SIZE=1: expected a whole number from 2 to 1000",
        "INSTANCE_ID                | 'web 1'                    | INSTANCE_ID=web 1: expected 1-64 letters, digits, dots, dashes or underscores",
        "INSTANCE_ID                | 'node\"1'                  | INSTANCE_ID=node\"1: expected 1-64 letters",
        "INSTANCE_ID                | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | expected 1-64 letters",
        "LEASE_SECONDS              | 4                          | LEASE_SECONDS=4: expected a whole number from 5 to 3600",
        "LEASE_SECONDS              | 30s                        | LEASE_SECONDS=30s: expected a whole number from 5 to 3600",
        "MAX_ATTACHMENT_MB          | 0                          | MAX_ATTACHMENT_MB=0: expected a whole number from 1 to 2048",
        "MAX_ATTACHMENT_MB          | 4096                       | MAX_ATTACHMENT_MB=4096: expected a whole number from 1 to 2048",
        "DEFAULT_REGION             | XX                         | DEFAULT_REGION=XX: expected a two-letter region code",
        "APP_TOKEN                  | short                      | APP_TOKEN (value hidden): expected at least 16 printable characters",
        "APP_TOKEN                  | 'has spaces in it, long'   | APP_TOKEN (value hidden): expected at least 16 printable characters",
        "LOG_FORMAT                 | xml                        | LOG_FORMAT=xml: expected text or json",
        "DEMO_RECEIVER              | yes                        | DEMO_RECEIVER=yes: expected true or false",
    })
    void shouldRejectAnInvalidValueWithOneClearLine(String key, String value, String expected) {
        List<String> problems = problems(ConfigLoader.load(dir.resolve("none.env"), Map.of(key, value)));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().contains(expected), problems.getFirst());
    }

    @Test
    void shouldNeverEchoSecretValuesInProblems() {
        String secret = "whsec_definitely-not-base64!!";
        String token = "tiny";

        List<String> problems = problems(ConfigLoader.load(dir.resolve("none.env"),
                Map.of("WEBHOOK_SECRET", secret, "APP_TOKEN", token)));

        assertEquals(2, problems.size());
        assertFalse(problems.stream().anyMatch(p -> p.contains(secret) || p.contains("=" + token)), problems.toString());
    }

    @Test
    void shouldAcceptAStandardWebhooksSecretAndAToken() {
        Config config = ConfigLoader.fromValues(Map.of(
                "WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "APP_TOKEN", "a-long-enough-token-123"));

        assertEquals("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", config.webhookSecret().orElseThrow().reveal());
        assertTrue(config.appToken().orElseThrow().matches("a-long-enough-token-123"));
        assertFalse(config.appToken().orElseThrow().matches("a-long-enough-token-124"));
        assertFalse(config.toString().contains("a-long-enough-token-123"), "toString must mask secrets");
        assertFalse(config.toString().contains("MfKQ9r8G"), "toString must mask secrets");
    }

    @Test
    void shouldMaskTheWebhookUrlForDisplay() {
        Config config = ConfigLoader.fromValues(Map.of("WEBHOOK_URL", "https://api.example.com/webhook/7730a1b2c3d466aa"));

        assertEquals("https://api.example.com/…", config.maskedWebhookUrl());
    }

    @Test
    void shouldDerivePublicBaseUrlFromTheBoundPortUnlessSet() {
        assertEquals(URI.create("http://localhost:4321"),
                ConfigLoader.fromValues(Map.of("HOST", "0.0.0.0", "PORT", "0")).publicBaseUrl(4321));
        assertEquals(URI.create("https://chat.example.com"),
                ConfigLoader.fromValues(Map.of("PUBLIC_BASE_URL", "https://chat.example.com")).publicBaseUrl(4321));
    }
}
