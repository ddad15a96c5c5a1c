package relay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.testing.Postgres;
import relay.webhook.AttemptResult;
import relay.webhook.WebhookBody;
import relay.webhook.WebhookSender;

/**
 * {@code make bench}: the real jar as a child process against receivers in another JVM, one row per question, each
 * row's comparison measured side by side in the same run. Not a test: it asserts nothing and surefire does not run
 * it. Arguments: {@code --java PATH --jar PATH --out DIR --doc FILE}, and {@code --only 1,5a} to run some rows
 * (then the doc is left alone).
 */
public final class Bench {
    private static final String USER_AGENT = "WhatsApp-Chat-Viewer-Webhook/1.0";
    private static final String PHONE = "+5511999990000";
    private static final int FILE_BYTES = 25 * 1024 * 1024;
    /** How long a row waits for its deliveries before it reports what arrived; keeps the whole run to minutes. */
    private static final long DELIVERY_WAIT_SECONDS = 90;
    /** Rounds of the large-file sends, for the jar and the raw client alike; the better round of each counts. */
    private static final int ROUNDS = 2;
    /** Instances of the cluster rows (12, 14). */
    private static final int CLUSTER = 3;
    /** The lease the cluster rows run with ({@code LEASE_SECONDS}). */
    private static final Duration LEASE = Duration.ofSeconds(5);
    /** App's claim poll: how soon an instance looks for work nobody told it of. */
    private static final Duration POLL = Duration.ofSeconds(5);

    private final Path java;
    private final Path jar;
    private final Path root;
    private final Http http;
    private final ReceiverProcess rx;
    private final Report report;
    private final List<Long> startupMillis = new CopyOnWriteArrayList<>();

    private Bench(Path java, Path jar, Path root, Http http, ReceiverProcess rx, Report report) {
        this.java = java;
        this.jar = jar;
        this.root = root;
        this.http = http;
        this.rx = rx;
        this.report = report;
    }

    public static void main(String[] args) throws Exception {
        // The product's WebhookSender, reused for the raw ceiling, is set up exactly as the service sets it up.
        WebhookSender.prepareJdkClient();
        // Rows 11-13 measure PostgreSQL as shipped, every commit flushed to disk, as SQLite's synchronous=FULL is.
        System.setProperty(Postgres.DURABLE, "true");
        Map<String, String> opts = options(args);
        Path java = Path.of(opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        Path jar = Path.of(opts.getOrDefault("jar", "target/chat-webhook.jar"));
        Path out = Path.of(opts.getOrDefault("out", "target/bench"));
        Path doc = Path.of(opts.getOrDefault("doc", "docs/performance.md"));
        Files.createDirectories(out);
        Report report = new Report(machine());
        System.out.println("make bench: " + report.machineLine());
        Path root = Files.createTempDirectory("relay-bench-");
        // Each jar's output ends up in OUT/logs/NAME.log, for reading after the run.
        System.setProperty("bench.logs", out.resolve("logs").toString());
        try (Http http = new Http(); ReceiverProcess rx = ReceiverProcess.start(java, out.resolve("receivers.log"))) {
            Bench bench = new Bench(java, jar, root, http, rx, report);
            bench.run(opts.get("only"));
        } finally {
            deleteTree(root);
        }
        System.out.println();
        System.out.print(report.table());
        report.writeJson(out.resolve("results.json"));
        System.out.println("\nWritten " + out.resolve("results.json"));
        if (!opts.containsKey("only")) {
            report.updateDoc(doc, "make bench");
            System.out.println("Written " + doc);
        }
        System.exit(report.hasErrors() ? 1 : 0);
    }

    private void run(String only) {
        Map<String, Scenario> rows = new LinkedHashMap<>();
        rows.put("1", this::acceptLatency);
        rows.put("2", this::throughput);
        rows.put("3", this::largeFiles);
        rows.put("4", this::backlog);
        rows.put("5a", () -> flaky("5a", 3));
        rows.put("5b", () -> flaky("5b", 10));
        rows.put("6", this::startup);
        rows.put("7", this::walBound);
        rows.put("8", this::conversations);
        rows.put("9", this::oneConversation);
        rows.put("10", this::steadyLatency);
        rows.put("11", this::pageReady);
        rows.put("12", this::clusterScaling);
        rows.put("13", this::acceptOnPostgres);
        rows.put("14", this::failover);
        List<String> chosen = only == null ? List.copyOf(rows.keySet()) : List.of(only.split(","));
        rows.forEach((id, scenario) -> {
            if (chosen.contains(id)) {
                row(id, scenario);
            }
        });
    }

    @FunctionalInterface
    private interface Scenario {
        void run() throws Exception;
    }

    /** A scenario that breaks becomes an error row; the others still run. */
    private void row(String id, Scenario scenario) {
        System.out.println("row " + id + " …");
        long t0 = System.nanoTime();
        try {
            scenario.run();
            System.out.println("  (row " + id + " took " + fmt((System.nanoTime() - t0) / 1e9, 0) + " s)");
        } catch (Exception | Error e) {
            e.printStackTrace(System.out);
            report.add(new Report.Row(id, "scenario " + id, "could not run: " + e, "", Report.Verdict.ERROR, "",
                    Map.of()));
        }
    }

    // ---- 1. Accept latency, webhook hanging vs answering --------------------------------------------------------

    private void acceptLatency() throws Exception {
        int rounds = 4;
        int perRound = 500;
        int clients = 16;
        int warm = 1_000;
        try (JarProcess fast = start("accept-fast", Map.of("WEBHOOK_URL", rx.url("/fast")));
             JarProcess hang = start("accept-hang", Map.of("WEBHOOK_URL", rx.hangUrl()))) {
            SideBySide runs = sideBySide(fast, hang, warm, perRound, rounds, clients);
            List<Load.Result> fastRuns = runs.first();
            List<Load.Result> hangRuns = runs.second();
            Load.Result f = merge(fastRuns);
            Load.Result h = merge(hangRuns);
            JsonNode hangStatus = status(hang);
            long hangConnections = rx.stats(http).path("hang").path("requests").asLong();
            String target = "p99 ≤ 10 ms";
            Map<String, Object> fd = latencyData(f);
            fd.put("p99_ms_by_round", fastRuns.stream().map(r -> r.percentileMillis(0.99)).toList());
            report.add(new Report.Row("1a", "Accept latency, webhook answers at once",
                    latencies(f), target, verdict(f.percentileMillis(0.99) <= 10),
                    gap(f.percentileMillis(0.99), 10, "ms") + rounds * perRound + " requests, " + clients
                            + " clients, alternating with 1b", fd));
            Map<String, Object> hd = latencyData(h);
            hd.put("p99_ms_by_round", hangRuns.stream().map(r -> r.percentileMillis(0.99)).toList());
            hd.put("circuit_after", hangStatus.path("circuit").path("state").asText());
            hd.put("hung_connections", hangConnections);
            hd.put("queue_after", hangStatus.path("queue"));
            report.add(new Report.Row("1b", "Accept latency, webhook hangs (accepts, never answers)",
                    latencies(h), target, verdict(h.percentileMillis(0.99) <= 10),
                    gap(h.percentileMillis(0.99), 10, "ms") + hangConnections + " connections left hanging; circuit "
                            + hangStatus.path("circuit").path("state").asText() + " at the end", hd));
            double ratio = h.percentileMillis(0.99) / f.percentileMillis(0.99);
            report.add(new Report.Row("1c", "p99 hanging / p99 answering", fmt(ratio, 2) + "×", "≤ 2×",
                    verdict(ratio <= 2), "", Map.of("ratio", ratio)));
        }
    }

    private static String latencies(Load.Result r) {
        return "p50 " + fmt(r.percentileMillis(0.5), 1) + " / p99 " + fmt(r.percentileMillis(0.99), 1) + " / max "
                + fmt(r.maxMillis(), 1) + " ms";
    }

    private static Map<String, Object> latencyData(Load.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", r.latencyNanos().length);
        m.put("p50_ms", r.percentileMillis(0.5));
        m.put("p90_ms", r.percentileMillis(0.9));
        m.put("p99_ms", r.percentileMillis(0.99));
        m.put("max_ms", r.maxMillis());
        return m;
    }

    // ---- 2. End-to-end throughput vs the raw client ---------------------------------------------------------------

    private void throughput() throws Exception {
        int n = 20_000;
        int warm = 1_000;
        int concurrency = 32;
        Map<String, Object> data = new LinkedHashMap<>();
        // Unordered, so that the slots are the only bound, as for the raw client; rows 8-10 measure ordering.
        deliverTexts("throughput", Map.of("WEBHOOK_CONCURRENCY", Integer.toString(concurrency),
                "WEBHOOK_ORDERING", "none"), n, warm, concurrency, Http.CONVERSATIONS, data);
        rawCeilings(n, warm, concurrency, data);
        double delivered = (double) data.get("delivered_per_s");
        double raw = (double) data.get("raw_per_s");
        double ratio = delivered / raw;
        data.put("ratio", ratio);
        long within = (long) data.get("delivered_within_wait");
        report.add(new Report.Row("2", "Throughput, 20,000 texts at concurrency 32 (WEBHOOK_CONCURRENCY=32, WEBHOOK_ORDERING=none)",
                fmt((double) data.get("accepted_per_s"), 0) + " accepted/s, " + fmt(delivered, 0)
                        + " delivered/s" + (within < n ? " (" + within + " of " + n + " within the wait)" : "")
                        + "; raw client " + fmt(raw, 0) + "/s; delivered/raw " + fmt(ratio, 2),
                "delivered/raw ≥ 0.8", verdict(ratio >= 0.8),
                (ratio >= 0.8 ? "" : "gap: " + fmt(0.8 / ratio, 1) + "× short of 0.8. ")
                        + data.get("spurious_failed_attempts") + " attempts failed though the receiver never did, "
                        + "circuit opened " + data.get("circuit_opened") + "×; CPU per message: jar "
                        + fmt((double) data.get("jar_cpu_ms_per_message"), 2) + " ms, raw client "
                        + fmt((double) data.get("raw_client_cpu_ms_per_message"), 2) + " ms; raw kept-alive "
                        + "(no `Connection: close`): " + fmt((double) data.get("raw_keep_alive_per_s"), 0) + "/s",
                data));
    }

    /**
     * Warms the jar with {@code warm} texts, then sends {@code n} texts to {@code conversations} phones from
     * {@code concurrency} clients and waits for the receiver's 200s; puts the rates, CPU and counters in {@code data}.
     * The jar delivers to {@code /fast}, which answers at once.
     */
    private void deliverTexts(String name, Map<String, String> settings, int n, int warm, int concurrency,
                              int conversations, Map<String, Object> data) throws Exception {
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put("WEBHOOK_URL", rx.url("/fast"));
        try (JarProcess jar = start(name, env)) {
            rx.reset(http);
            postTexts(jar, warm, concurrency, 0, conversations);
            rx.awaitOk(http, jar, "fast", warm, 300);
            awaitQueue(jar, q -> q.path("delivered").asLong() >= warm, 120);
            rx.reset(http);
            double cpu0 = jar.cpuSeconds();
            long startEpoch = Receivers.epochNanos();
            Load.Result accepted = postTexts(jar, n, concurrency, warm, conversations);
            ReceiverProcess.Arrivals arrivals = rx.awaitOk(http, jar, "fast", n, DELIVERY_WAIT_SECONDS);
            double cpu = jar.cpuSeconds() - cpu0;
            JsonNode queue = arrivals.complete()
                    ? awaitQueue(jar, q -> q.path("delivered").asLong() >= warm + n, 120) : status(jar).path("queue");
            JsonNode attempts = status(jar).path("stats");
            data.put("messages", n);
            data.put("conversations", conversations);
            data.put("delivered_within_wait", arrivals.ok());
            data.put("accepted_per_s", accepted.perSecond());
            data.put("delivered_per_s", arrivals.ok() / ((arrivals.lastOkEpochNanos() - startEpoch) / 1e9));
            data.put("accept_latency", latencyData(accepted));
            data.put("jar_cpu_ms_per_message", cpu * 1000 / n);
            data.put("receiver", rx.stats(http).path("fast"));
            data.put("queue_after", queue);
            data.put("attempt_stats", attempts);
            data.put("spurious_failed_attempts", attempts.path("failed").asLong());
            data.put("circuit_opened", jar.countLines("Circuit open"));
            data.put("jar_peak_rss_mib", jar.peakRssKib() / 1024);
        }
    }

    /**
     * The raw client's ceilings for {@code n} texts at {@code concurrency}: the product's own sender (with
     * {@code Connection: close}), and the same requests on kept-alive connections; rates and CPU into {@code data}.
     */
    private void rawCeilings(int n, int warm, int concurrency, Map<String, Object> data) throws Exception {
        try (HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5))) {
            WebhookSender sender = new WebhookSender(client, URI.create(rx.url("/fast")), USER_AGENT,
                    Optional.empty(), Duration.ofSeconds(5), 1024, false, InstantSource.system());
            AtomicLong failures = new AtomicLong();
            rx.reset(http);
            rawTexts(sender, warm, concurrency, 0, failures);
            rx.reset(http);
            failures.set(0);
            double cpu0 = ownCpuSeconds();
            Load.Result raw = rawTexts(sender, n, concurrency, warm, failures);
            data.put("raw_client_cpu_ms_per_message", (ownCpuSeconds() - cpu0) * 1000 / n);
            data.put("raw_per_s", raw.perSecond());
            data.put("raw_failed_attempts", failures.get());
            data.put("raw_receiver", rx.stats(http).path("fast"));
            // Not the product's client: the same requests without `Connection: close`, on kept-alive connections.
            rx.reset(http);
            rawKeepAlive(client, warm, concurrency, 0);
            rx.reset(http);
            Load.Result keepAlive = rawKeepAlive(client, n, concurrency, warm);
            data.put("raw_keep_alive_per_s", keepAlive.perSecond());
        }
    }

    private static double ownCpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(-1.0);
    }

    /**
     * The same client code the jar uses, straight to the receiver: no store, no breaker, no dispatcher. A failed
     * attempt is counted and sent again at once, as the jar would later.
     */
    private static Load.Result rawTexts(WebhookSender sender, int n, int concurrency, int offset, AtomicLong failures)
            throws InterruptedException {
        return Load.run(n, concurrency, (w, i) -> {
            Message m = rawMessage(offset + i);
            for (int attempt = 1; ; attempt++) {
                AttemptResult result = sender.send(m.id(), WebhookBody.forMessage(m, sha -> null, null));
                if (result instanceof AttemptResult.Response r && r.statusCode() / 100 == 2) {
                    return;
                }
                failures.incrementAndGet();
                if (attempt == 5) {
                    requireOk(result);
                }
            }
        });
    }

    private static Message rawMessage(int k) {
        return new Message(String.format("msg_%026d", k), "+55119999900" + String.format("%02d", k % 16),
                k / 16 + 1, "bench message " + k + ": the quick brown fox jumps over the lazy dog", null,
                Instant.now());
    }

    /** The jar's request (same headers, same body) but without `Connection: close`, so connections are reused. */
    private Load.Result rawKeepAlive(HttpClient client, int n, int concurrency, int offset)
            throws InterruptedException {
        URI url = URI.create(rx.url("/fast"));
        return Load.run(n, concurrency, (w, i) -> {
            Message m = rawMessage(offset + i);
            WebhookBody body = WebhookBody.forMessage(m, sha -> null, null);
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .header("Accept-Encoding", "gzip, deflate").header("User-Agent", USER_AGENT)
                    .header("webhook-id", m.id())
                    .header("webhook-timestamp", Long.toString(Instant.now().getEpochSecond()))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                        try {
                            return body.open();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }), body.length())).build();
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("keep-alive send answered " + r.statusCode());
            }
        });
    }

    private static void requireOk(AttemptResult result) throws IOException {
        if (!(result instanceof AttemptResult.Response r) || r.statusCode() / 100 != 2) {
            throw new IOException("raw send failed: " + result);
        }
    }

    // ---- 3. 16 × 25 MB inline attachments under -Xmx128m -------------------------------------------------------------

    private void largeFiles() throws Exception {
        final int count = 16;
        Path dir = Files.createDirectories(root.resolve("files"));
        Path[] files = new Path[count];
        String[] sha = new String[count];
        for (int i = 0; i < count; i++) {
            files[i] = dir.resolve("report-" + i + ".pdf");
            sha[i] = writePdf(files[i], i);
        }
        String[] ids = new String[count];
        Map<String, Object> data = new LinkedHashMap<>();
        long oomLines;
        double productMbps;
        double productSeconds;
        long peakRss;
        JsonNode queue;
        long okAtReceiver;
        try (JarProcess jar = start("large-files", Map.of("WEBHOOK_URL", rx.url("/files")), List.of("-Xmx128m"))) {
            rx.reset(http);
            Load.Result uploads = Load.run(count, count, (w, i) -> ids[i] = http.postFile(jar.uri("/chat/attachments"),
                    files[i], "application/pdf", "report-" + i + ".pdf").path("id").asText());
            data.put("api_upload_seconds", uploads.seconds());
            data.put("api_upload_mib_per_s", count * (double) FILE_BYTES / (1 << 20) / uploads.seconds());
            // Two rounds of the same 16 sends (new messages, same attachments); the better one counts, as for raw.
            productMbps = 0;
            productSeconds = 0;
            okAtReceiver = 0;
            queue = null;
            List<Double> rounds = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                int settled = round * count;
                rx.reset(http);
                long startEpoch = Receivers.epochNanos();
                Load.run(count, count, (w, i) -> http.postJson(jar.uri("/chat/messages"), "{\"phone\":\"" + PHONE
                        + "\",\"text\":\"file " + i + "\",\"attachment_id\":\"" + ids[i] + "\"}", 202));
                queue = awaitQueue(jar, q -> q.path("delivered").asLong() + q.path("failed").asLong() >= settled,
                        300);
                JsonNode files16 = rx.stats(http).path("files");
                okAtReceiver += files16.path("ok").asLong();
                double seconds = (files16.path("last_ok_epoch_nanos").asLong() - startEpoch) / 1e9;
                double mbps = files16.path("bytes").asLong() / (double) (1 << 20) / seconds;
                rounds.add(mbps);
                if (mbps > productMbps) {
                    productMbps = mbps;
                    productSeconds = seconds;
                }
                data.put("receiver_round_" + round, files16);
            }
            data.put("product_mib_per_s_by_round", rounds);
            peakRss = jar.peakRssKib();
            data.put("queue", queue);
            data.put("jar_peak_rss_mib", peakRss / 1024);
            jar.stop();
            // The JVM's own words ("Terminating due to java.lang.OutOfMemoryError"), not the service's start-up advice.
            oomLines = jar.countLines("java.lang.OutOfMemoryError");
            data.put("out_of_memory_lines", oomLines);
        }
        // The raw client sends the same 16 bodies, from the same files, at once.
        double rawMbps;
        try (HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5))) {
            WebhookSender sender = new WebhookSender(client, URI.create(rx.url("/files")), USER_AGENT,
                    Optional.empty(), Duration.ofSeconds(5), 1024, false, InstantSource.system());
            Instant now = Instant.now();
            rawMbps = 0;
            List<Double> rounds = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                rx.reset(http);
                Load.Result raw = Load.run(count, count, (w, i) -> {
                    Attachment a = new Attachment("att_" + i, MessageKind.PDF, "report-" + i + ".pdf",
                            "application/pdf", FILE_BYTES, sha[i], now);
                    Message m = new Message("msg_file_" + i, PHONE, i + 1, "file " + i, a, now);
                    requireOk(sender.send(m.id(),
                            WebhookBody.forMessage(m, s -> Files.newByteChannel(files[i]), null)));
                });
                double mbps = rx.stats(http).path("files").path("bytes").asLong() / (double) (1 << 20) / raw.seconds();
                rounds.add(mbps);
                rawMbps = Math.max(rawMbps, mbps);
            }
            data.put("raw_mib_per_s_by_round", rounds);
        }
        data.put("product_seconds", productSeconds);
        data.put("product_mib_per_s", productMbps);
        double ratio = rawMbps / productMbps;
        boolean allDelivered = okAtReceiver == ROUNDS * count && queue.path("delivered").asLong() == ROUNDS * count;
        boolean met = allDelivered && oomLines == 0 && ratio <= 2;
        report.add(new Report.Row("3", "16 × 25 MB inline PDFs at once, jar at -Xmx128m (best of " + ROUNDS
                + " rounds, jar and raw alike)",
                okAtReceiver + "/" + ROUNDS * count + " delivered, SHA-256 checked; " + fmt(productSeconds, 1) + " s ("
                        + fmt(productMbps, 0) + " MiB/s of JSON) vs raw " + fmt(rawMbps, 0) + " MiB/s; peak RSS "
                        + peakRss / 1024 + " MiB; " + oomLines + " OutOfMemoryError",
                "all delivered, no OOM, raw/jar ≤ 2×", verdict(met),
                "raw/jar " + fmt(ratio, 2) + "×; API upload of the 16 files " + fmt(uploads(data), 1) + " s", data));
    }

    private static double uploads(Map<String, Object> data) {
        return (double) data.get("api_upload_seconds");
    }

    /** A file the relay takes for a PDF (its kind comes from the first bytes), random after that; returns SHA-256. */
    private static String writePdf(Path file, int seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int written = 0; written < FILE_BYTES; written += chunk.length) {
                random.nextBytes(chunk);
                if (written == 0) {
                    byte[] magic = "%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(magic, 0, chunk, 0, magic.length);
                }
                sha.update(chunk);
                out.write(chunk);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    // ---- 4. Backlog released by a reset --------------------------------------------------------------------------

    private void backlog() throws Exception {
        int n = 10_000;
        int concurrency = 16;
        Map<String, Object> data = new LinkedHashMap<>();
        rx.failing(http, true);
        try (JarProcess jar = start("backlog", Map.of("WEBHOOK_URL", rx.url("/switch"),
                "WEBHOOK_CONCURRENCY", Integer.toString(concurrency),
                "CIRCUIT_FAILURE_THRESHOLD", "5", "CIRCUIT_OPEN_SECONDS", "3600"))) {
            int opening = 0;
            while (!status(jar).path("circuit").path("state").asText().equals("open")) {
                if (opening >= 50) {
                    throw new IllegalStateException("the circuit did not open after " + opening + " failures");
                }
                http.postJson(jar.uri("/chat/messages?wait=true"), Http.textMessage(opening++), 202);
            }
            Load.Result accepted = postTexts(jar, n, 32, opening);
            int total = n + opening;
            // Each conversation's head is held; the messages behind it wait for it.
            awaitQueue(jar, q -> q.path("held").asLong() + q.path("waiting").asLong() == total, 120);
            rx.failing(http, false);
            rx.reset(http);
            long startEpoch = Receivers.epochNanos();
            http.postJson(jar.uri("/chat/reset-webhook-circuit"), "", 200);
            ReceiverProcess.Arrivals arrivals = rx.awaitOk(http, jar, "switch", total, DELIVERY_WAIT_SECONDS);
            JsonNode queue = arrivals.complete()
                    ? awaitQueue(jar, q -> q.path("delivered").asLong() == total, 120) : status(jar).path("queue");
            double drain = (arrivals.lastOkEpochNanos() - startEpoch) / 1e9;
            data.put("delivered_within_wait", arrivals.ok());
            data.put("circuit_reopened", jar.countLines("Circuit open") - 1);
            int max = rx.stats(http).path("switch").path("max_concurrent").asInt();
            data.put("held", total);
            data.put("messages_to_open", opening);
            data.put("accept_while_open", latencyData(accepted));
            data.put("accepted_per_s_while_open", accepted.perSecond());
            data.put("drain_seconds", drain);
            data.put("drain_per_s", total / drain);
            data.put("receiver_max_concurrent", max);
            data.put("queue_after", queue);
            report.add(new Report.Row("4", "Backlog: " + total + " held by an open circuit, then reset",
                    (arrivals.complete() ? "drained in " + fmt(drain, 1) + " s (" + fmt(total / drain, 0) + "/s)"
                            : "NOT drained: " + arrivals.ok() + " of " + total + " within " + DELIVERY_WAIT_SECONDS
                            + " s, circuit re-opened " + data.get("circuit_reopened") + "×")
                            + "; receiver saw at most " + max + " at once",
                    "all delivered; max at once ≤ WEBHOOK_CONCURRENCY (" + concurrency + ")",
                    verdict(arrivals.complete() && max <= concurrency), "accepted " + fmt(accepted.perSecond(), 0)
                    + "/s while open, p99 " + fmt(accepted.percentileMillis(0.99), 1) + " ms", data));
        } finally {
            rx.failing(http, false);
        }
    }

    // ---- 5. The seed's flaky endpoint -----------------------------------------------------------------------------

    private void flaky(String id, int maxRetries) throws Exception {
        int n = 1_000;
        Map<String, Object> data = new LinkedHashMap<>();
        try (JarProcess jar = start("flaky-" + maxRetries, Map.of("WEBHOOK_URL", rx.flakyUrl(),
                "WEBHOOK_MAX_RETRIES", Integer.toString(maxRetries),
                "WEBHOOK_RETRY_BASE_SECONDS", "1", "WEBHOOK_RETRY_MAX_SECONDS", "2",
                "CIRCUIT_FAILURE_THRESHOLD", "100", "CIRCUIT_OPEN_SECONDS", "1",
                "WEBHOOK_CONCURRENCY", "32"))) {
            rx.reset(http);
            long t0 = System.nanoTime();
            postTexts(jar, n, 16, 0);
            JsonNode queue = awaitQueue(jar, q -> q.path("delivered").asLong() + q.path("failed").asLong() >= n, 600);
            double seconds = (System.nanoTime() - t0) / 1e9;
            JsonNode flaky = rx.stats(http).path("flaky");
            long delivered = queue.path("delivered").asLong();
            long failed = queue.path("failed").asLong();
            long duplicates = flaky.path("duplicate_deliveries").asLong();
            double expectedFailed = n * Math.pow(0.4, maxRetries + 1);
            data.put("messages", n);
            data.put("max_retries", maxRetries);
            data.put("delivered", delivered);
            data.put("failed", failed);
            data.put("expected_failed_if_independent", expectedFailed);
            data.put("seconds", seconds);
            data.put("receiver", flaky);
            data.put("circuit_opened", jar.countLines("Circuit open"));
            boolean met = delivered == n && duplicates == 0;
            report.add(new Report.Row(id, "Flaky endpoint (40% fail: 500, 503+Retry-After:1, reset, 2 s stall), "
                    + n + " texts, WEBHOOK_MAX_RETRIES=" + maxRetries,
                    fmt(100.0 * delivered / n, 1) + "% delivered (" + failed + " failed, " + fmt(expectedFailed, 1)
                            + " expected = " + n + "×0.4^" + (maxRetries + 1) + "); " + duplicates
                            + " duplicate deliveries; " + flaky.path("ids_seen_more_than_once").asLong()
                            + " ids retried (" + flaky.path("requests").asLong() + " requests) in " + fmt(seconds, 0)
                            + " s",
                    "100% delivered, 0 duplicates", verdict(met),
                    "CIRCUIT_FAILURE_THRESHOLD=100 for this row (at 40% failures 5 in a row come about once per 160 attempts and would open the circuit), "
                            + "RETRY_BASE 1 s, RETRY_MAX 2 s, WEBHOOK_CONCURRENCY=32", data));
        }
    }

    // ---- 6. Start-up ------------------------------------------------------------------------------------------------

    private void startup() throws IOException {
        List<Long> sorted = startupMillis.stream().sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        long jarBytes = Files.size(jar);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("startups_ms", startupMillis);
        data.put("median_ms", median);
        data.put("jar_bytes", jarBytes);
        report.add(new Report.Row("6", "Start-up: process start to first 200 from /healthz; jar size",
                "median " + median + " ms (min " + sorted.getFirst() + ", max " + sorted.getLast() + ", "
                        + sorted.size() + " starts); jar " + fmt(jarBytes / 1048576.0, 1) + " MiB",
                "", Report.Verdict.INFO, "every start of this run, under the load of the run", data));
    }

    // ---- 7. The write-ahead log under sustained writes -----------------------------------------------------------

    /**
     * Texts as fast as 32 clients can send them for 60 s, with the status and conversation list read meanwhile as
     * the pages do; the log file's size sampled every 50 ms. No webhook: every message waits as queued, so accepting
     * is all the jar does — the highest rate it sustains.
     */
    private void walBound() throws Exception {
        long seconds = 60;
        int clients = 32;
        int chunk = 2_000;
        long bound = 64L << 20;
        Map<String, Object> data = new LinkedHashMap<>();
        try (JarProcess jar = start("wal", Map.of())) {
            Path wal = jar.dataDir().resolve("chat.db-wal");
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong largest = new AtomicLong();
            AtomicLong reads = new AtomicLong();
            Thread sampler = Thread.ofPlatform().name("wal-sampler").start(() -> {
                while (running.get()) {
                    largest.accumulateAndGet(sizeOf(wal), Math::max);
                    pause(50);
                }
            });
            Thread reader = Thread.ofPlatform().name("page-reader").start(() -> {
                while (running.get()) {
                    try {
                        status(jar);
                        http.getJson(jar.uri("/chat/conversations"));
                        reads.incrementAndGet();
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException("reading while writing failed", e);
                    }
                    pause(250);
                }
            });
            List<Load.Result> runs = new ArrayList<>();
            long t0 = System.nanoTime();
            int sent = 0;
            try {
                while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(seconds)) {
                    runs.add(postTexts(jar, chunk, clients, sent));
                    sent += chunk;
                }
            } finally {
                running.set(false);
                sampler.join();
                reader.join();
            }
            Load.Result accepted = merge(runs);
            long walEnd = sizeOf(wal);
            long peak = Math.max(largest.get(), walEnd);
            data.put("seconds", accepted.seconds());
            data.put("messages", sent);
            data.put("accepted_per_s", accepted.perSecond());
            data.put("accept_latency", latencyData(accepted));
            data.put("wal_bytes_at_end", walEnd);
            data.put("wal_bytes_largest_sampled", peak);
            data.put("wal_max_bytes", bound);
            data.put("db_bytes", sizeOf(jar.dataDir().resolve("chat.db")));
            data.put("reads_meanwhile", reads.get());
            data.put("wal_over_bound_warnings", jar.countLines("over WAL_MAX_MB"));
            report.add(new Report.Row("7", "Write-ahead log after " + seconds + " s of texts at the highest sustained"
                    + " accept rate (" + clients + " clients, no webhook, status and conversations read every 250 ms)",
                    "WAL " + mib(walEnd) + " MiB at the end, largest sampled " + mib(peak) + " MiB; chat.db "
                            + mib((long) data.get("db_bytes")) + " MiB; " + fmt(accepted.perSecond(), 0)
                            + " accepted/s (" + sent + " messages), " + latencies(accepted),
                    "WAL < WAL_MAX_MB (64 MiB) throughout", verdict(peak < bound),
                    "sampled every 50 ms; " + reads.get() + " status + conversation reads meanwhile", data));
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // not there (yet, or any more)
        }
    }

    private static String mib(long bytes) {
        return fmt(bytes / 1048576.0, 1);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- 8. Throughput across 100 conversations, with and without keep-alive ----------------------------------------

    /**
     * Row 2's measure with the texts spread over 100 phones under {@code WEBHOOK_ORDERING=conversation}, once with
     * {@code WEBHOOK_KEEP_ALIVE=false} and once with {@code true}, each against the raw client's ceiling of the same
     * kind (the product's sender with {@code Connection: close}; the same requests kept alive), all in this run.
     */
    private void conversations() throws Exception {
        int n = 10_000;
        int warm = 1_000;
        int concurrency = 32;
        int conversations = 100;
        Map<String, Object> raw = new LinkedHashMap<>();
        rawCeilings(n, warm, concurrency, raw);
        double rawClose = (double) raw.get("raw_per_s");
        double rawKeptAlive = (double) raw.get("raw_keep_alive_per_s");
        for (boolean keepAlive : new boolean[] {false, true}) {
            Map<String, Object> data = new LinkedHashMap<>();
            deliverTexts("conversations-" + (keepAlive ? "keep-alive" : "close"), Map.of(
                    "WEBHOOK_CONCURRENCY", Integer.toString(concurrency), "WEBHOOK_ORDERING", "conversation",
                    "WEBHOOK_KEEP_ALIVE", Boolean.toString(keepAlive)), n, warm, concurrency, conversations, data);
            double delivered = (double) data.get("delivered_per_s");
            double ceiling = keepAlive ? rawKeptAlive : rawClose;
            double ratio = delivered / ceiling;
            data.put("raw_ceiling_per_s", ceiling);
            data.put("ratio", ratio);
            data.put("raw", raw);
            long within = (long) data.get("delivered_within_wait");
            report.add(new Report.Row(keepAlive ? "8b" : "8a", "Throughput across " + conversations
                    + " conversations, 10,000 texts at concurrency 32, WEBHOOK_KEEP_ALIVE=" + keepAlive,
                    fmt(delivered, 0) + " delivered/s" + (within < n ? " (" + within + " of " + n
                            + " within the wait)" : "") + "; raw client " + (keepAlive ? "kept alive " : "")
                            + fmt(ceiling, 0) + "/s; delivered/raw " + fmt(ratio, 2),
                    keepAlive ? "delivered/raw ≥ 0.8" : "", keepAlive ? verdict(ratio >= 0.8) : Report.Verdict.INFO,
                    "raw client with `Connection: close` " + fmt(rawClose, 0) + "/s, kept alive "
                            + fmt(rawKeptAlive, 0) + "/s; accepted " + fmt((double) data.get("accepted_per_s"), 0)
                            + "/s; CPU per message: jar " + fmt((double) data.get("jar_cpu_ms_per_message"), 2)
                            + " ms; " + data.get("spurious_failed_attempts") + " attempts failed though the receiver "
                            + "never did", data));
        }
    }

    // ---- 9. One conversation: what ordering costs ---------------------------------------------------------------------

    /**
     * A backlog of texts to one phone, delivered to {@code /ordered}, which takes 5 ms per message: one at a time in
     * order, the conversation cannot go faster than 200/s. The texts are accepted with no webhook set (they wait as
     * queued) and delivered after a restart with it, so accepting them does not share the measure.
     */
    private void oneConversation() throws Exception {
        int n = 1_000;
        int clients = 4;
        double ideal = 1e9 / Receivers.ORDERED_WORK.toNanos();
        Map<String, Object> data = new LinkedHashMap<>();
        Load.Result accepted;
        try (JarProcess jar = start("one-conversation", Map.of())) {
            accepted = postTexts(jar, n, clients, 0, 1);
        }
        rx.reset(http);
        try (JarProcess jar = start("one-conversation", Map.of("WEBHOOK_URL", rx.url("/ordered"),
                "WEBHOOK_ORDERING", "conversation"))) {
            ReceiverProcess.Arrivals arrivals = rx.awaitOk(http, jar, "ordered", n, DELIVERY_WAIT_SECONDS);
            List<Long> times = new ArrayList<>();
            rx.acknowledged(http).forEach(at -> times.add(at.asLong()));
            var span = times.stream().mapToLong(Long::longValue).summaryStatistics();
            double perSecond = (span.getCount() - 1) / ((span.getMax() - span.getMin()) / 1e9);
            JsonNode stats = rx.stats(http);
            long late = stats.path("acknowledged").path("after_a_later_one").asLong();
            int max = stats.path("ordered").path("max_concurrent").asInt();
            data.put("messages", n);
            data.put("delivered_within_wait", arrivals.ok());
            data.put("delivered_per_s", perSecond);
            data.put("ideal_per_s", ideal);
            data.put("of_ideal", perSecond / ideal);
            data.put("arrived_after_a_later_one", late);
            data.put("receiver_max_concurrent", max);
            data.put("accepted_per_s_one_phone_no_webhook", accepted.perSecond());
            data.put("receiver", stats.path("ordered"));
            data.put("queue_after", status(jar).path("queue"));
            report.add(new Report.Row("9", "One conversation: a backlog of " + n + " texts to one phone, the "
                    + "receiver taking " + Receivers.ORDERED_WORK.toMillis() + " ms each (WEBHOOK_ORDERING="
                    + "conversation)",
                    fmt(perSecond, 0) + " delivered/s = " + fmt(perSecond / ideal, 2) + " × the ideal "
                            + fmt(ideal, 0) + "/s" + (arrivals.complete() ? "" : " (" + arrivals.ok() + " of " + n
                            + " within the wait)") + "; " + late + " arrived after a later message of the phone",
                    "in order (0 after a later one); ideal " + fmt(ideal, 0) + "/s",
                    verdict(arrivals.complete() && late == 0),
                    "first to last acknowledgement; receiver saw at most " + max + " at once; the texts were "
                            + "accepted with no webhook set, delivered after a restart with it", data));
        }
    }

    // ---- 10. Accept-to-delivered latency at a steady rate -----------------------------------------------------------

    /**
     * Texts at a steady 200/s for 20 s over 50 phones against {@code /ordered} (5 ms per message): how long from the
     * moment a text is sent to the relay until the receiver has acknowledged it.
     */
    private void steadyLatency() throws Exception {
        int rate = 200;
        int seconds = 20;
        int conversations = 50;
        int n = rate * seconds;
        Map<String, Object> data = new LinkedHashMap<>();
        try (JarProcess jar = start("steady", Map.of("WEBHOOK_URL", rx.url("/ordered"),
                "WEBHOOK_ORDERING", "conversation"))) {
            rx.reset(http);
            long[] sentEpochNanos = new long[n];
            Load.Result accepted = paced(jar, n, rate, conversations, sentEpochNanos);
            ReceiverProcess.Arrivals arrivals = rx.awaitOk(http, jar, "ordered", n, DELIVERY_WAIT_SECONDS);
            JsonNode acknowledged = rx.acknowledged(http);
            long[] latencies = new long[n];
            int delivered = 0;
            for (int i = 0; i < n; i++) {
                // Sent one at a time, so message i is the (i / conversations + 1)-th of its phone.
                JsonNode at = acknowledged.get(Http.phone(i % conversations) + "#" + (i / conversations + 1));
                if (at != null) {
                    latencies[delivered++] = at.asLong() - sentEpochNanos[i];
                }
            }
            Load.Result latency = new Load.Result(Arrays.copyOf(latencies, delivered), 0, 0);
            long late = rx.stats(http).path("acknowledged").path("after_a_later_one").asLong();
            data.put("messages", n);
            data.put("rate_per_s", rate);
            data.put("conversations", conversations);
            data.put("sent_per_s", accepted.perSecond());
            data.put("delivered", delivered);
            data.put("accept_to_delivered", latencyData(latency));
            data.put("accept_latency", latencyData(accepted));
            data.put("arrived_after_a_later_one", late);
            data.put("queue_after", status(jar).path("queue"));
            report.add(new Report.Row("10", "Accept-to-delivered at a steady " + rate + " texts/s for " + seconds
                    + " s over " + conversations + " conversations, the receiver taking "
                    + Receivers.ORDERED_WORK.toMillis() + " ms each",
                    latencies(latency) + (arrivals.complete() ? "" : " (" + delivered + " of " + n
                            + " within the wait)") + "; " + late + " arrived after a later message of their phone",
                    "", Report.Verdict.INFO, "from the moment a text is sent until the receiver's 200; sent at "
                    + fmt(accepted.perSecond(), 0) + "/s by one client on schedule; accept " + latencies(accepted),
                    data));
        }
    }

    /**
     * Sends {@code n} texts one at a time on a schedule of {@code rate} per second (one that falls behind goes at
     * once), noting in {@code sentEpochNanos} when each went; message i goes to phone {@code i % conversations}.
     */
    private static Load.Result paced(JarProcess jar, int n, int rate, int conversations, long[] sentEpochNanos)
            throws InterruptedException {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        try (LoadClient client = new LoadClient(jar.port)) {
            return Load.run(n, 1, (w, i) -> {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(Duration.ofNanos(wait));
                }
                sentEpochNanos[i] = Receivers.epochNanos();
                int status = client.postJson("/chat/messages", Http.textMessage(i, conversations));
                if (status != 202) {
                    throw new IOException("POST /chat/messages answered " + status);
                }
            });
        }
    }

    // ---- 11. The chat page: ready with 5,000 conversations and a 1,000-message thread ----------------------------------

    /**
     * The chat page in a real browser, against two jars side by side: 5,000 conversations whose newest holds 1,000
     * messages, and 10 whose newest holds 10. Cold loads (a fresh browser profile each: nothing cached or stored)
     * alternate between the two; each times the page until its first conversation is listed, then the click on the
     * newest conversation until its newest message is in the thread (see {@link PageTimer}).
     */
    private void pageReady() throws Exception {
        int loads = 7;
        String thread = Http.phone(0);
        Map<String, List<PageTimer.Load>> runs = new LinkedHashMap<>();
        try (JarProcess large = seededForPage("page-5000", 5_000, 1_000);
             JarProcess small = seededForPage("page-10", 10, 10)) {
            Map<String, JarProcess> jars = Map.of("large", large, "small", small);
            // One load of each first, not counted: the jar's first reads of the pages and the API pay for its JIT.
            PageTimer.coldLoad(large.uri("/"), thread);
            PageTimer.coldLoad(small.uri("/"), thread);
            for (int i = 0; i < loads; i++) {
                // Alternating, which one goes first too, so that other work on the machine falls on both alike.
                for (String which : i % 2 == 0 ? List.of("large", "small") : List.of("small", "large")) {
                    runs.computeIfAbsent(which, k -> new ArrayList<>())
                            .add(PageTimer.coldLoad(jars.get(which).uri("/"), thread));
                }
            }
        }
        List<PageTimer.Load> large = runs.get("large");
        List<PageTimer.Load> small = runs.get("small");
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("loads", loads);
        data.put("large", Map.of("conversations", 5_000, "thread_messages", 1_000, "loads", large));
        data.put("small", Map.of("conversations", 10, "thread_messages", 10, "loads", small));
        double[] pageLarge = times(large, PageTimer.Load::pageReadyMs);
        double[] pageSmall = times(small, PageTimer.Load::pageReadyMs);
        double pageRatio = median(pageLarge) / median(pageSmall);
        data.put("page_ready_ratio", pageRatio);
        report.add(new Report.Row("11a", "Chat page ready: navigation start to the first conversation painted, "
                + "5,000 conversations, cold load in headless Chromium",
                medianWorst(pageLarge) + "; 10 conversations " + medianWorst(pageSmall) + "; ratio "
                        + fmt(pageRatio, 2) + "×",
                "median < 500 ms", verdict(median(pageLarge) < 500),
                loads + " loads of each, alternating, a fresh browser profile each; in the document (mark) at median "
                        + fmt(median(times(large, PageTimer.Load::listedMs)), 0) + " vs "
                        + fmt(median(times(small, PageTimer.Load::listedMs)), 0) + " ms; list request "
                        + requestMillis(large, "/chat/conversations") + " vs "
                        + requestMillis(small, "/chat/conversations") + "; first contentful paint (the empty page) "
                        + fmt(median(times(large, l -> number(l.timeline().get("first_contentful_paint")))), 0)
                        + " ms", data));
        double[] threadLarge = times(large, PageTimer.Load::threadReadyMs);
        double[] threadSmall = times(small, PageTimer.Load::threadReadyMs);
        double threadRatio = median(threadLarge) / median(threadSmall);
        data.put("thread_ready_ratio", threadRatio);
        report.add(new Report.Row("11b", "Thread ready: click on the 1,000-message conversation to its newest "
                + "messages painted",
                medianWorst(threadLarge) + "; 10 messages " + medianWorst(threadSmall) + "; ratio "
                        + fmt(threadRatio, 2) + "×",
                "", Report.Verdict.INFO, "in the same loads as 11a, once the page has loaded; the newest message in the "
                + "document (mark) at median " + fmt(median(times(large, PageTimer.Load::threadShownMs)), 0) + " vs "
                + fmt(median(times(small, PageTimer.Load::threadShownMs)), 0) + " ms; messages request "
                + requestMillis(large, "/chat/messages?phone=") + " vs " + requestMillis(small, "/chat/messages?phone="),
                data));
    }

    /**
     * A jar whose store holds {@code conversations} conversations of one text each but the newest (phone 0), which
     * holds {@code threadLength}; sent through the API and delivered, as a working day leaves them.
     */
    private JarProcess seededForPage(String name, int conversations, int threadLength) throws Exception {
        JarProcess jar = start(name, Map.of("WEBHOOK_URL", rx.url("/fast"), "WEBHOOK_ORDERING", "none",
                "WEBHOOK_CONCURRENCY", "32"));
        try {
            postTexts(jar, conversations - 1, 16, 1, conversations);
            postTexts(jar, threadLength, 4, 0, 1);
            int total = conversations - 1 + threadLength;
            awaitQueue(jar, q -> q.path("delivered").asLong() >= total, 300);
            return jar;
        } catch (Exception | Error e) {
            jar.close();
            throw e;
        }
    }

    private static double[] times(List<PageTimer.Load> loads, ToDoubleFunction<PageTimer.Load> f) {
        return loads.stream().mapToDouble(f).sorted().toArray();
    }

    private static double median(double[] sorted) {
        return sorted[sorted.length / 2];
    }

    private static String medianWorst(double[] sorted) {
        return "median " + fmt(median(sorted), 0) + " / worst " + fmt(sorted[sorted.length - 1], 0) + " ms";
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The median time the request whose path starts with {@code path} took in these loads (start to response end). */
    @SuppressWarnings("unchecked")
    private static String requestMillis(List<PageTimer.Load> loads, String path) {
        double[] took = loads.stream().flatMap(l -> ((List<Map<String, Object>>) l.timeline().get("requests")).stream()
                        .filter(r -> String.valueOf(r.get("name")).startsWith(path)).limit(1))
                .mapToDouble(r -> number(r.get("end")) - number(r.get("start"))).sorted().toArray();
        return took.length == 0 ? "not seen" : "median " + fmt(median(took), 0) + " ms";
    }

    // ---- 12. Several instances on one PostgreSQL -------------------------------------------------------------------------

    /**
     * Delivered messages per second with 1, 2 and 3 instances on one PostgreSQL database: a backlog of texts over
     * many conversations, accepted with no webhook set (so accepting shares nothing with the measure), then delivered
     * by {@code k} instances to {@code /fast}. Counted from the moment the last instance answers until the last 200;
     * the CPU every process used meanwhile says where the time goes.
     */
    private void clusterScaling() throws Exception {
        int n = 6_000;
        int conversations = 300;
        Map<String, Object> data = new LinkedHashMap<>();
        double[] rates = new double[CLUSTER + 1];
        for (int k = 1; k <= CLUSTER; k++) {
            Postgres.Database database = Postgres.newDatabase();
            try (JarProcess filler = startOnPostgres("cluster-fill-" + k, database, Map.of())) {
                postTexts(filler, n, 16, 0, conversations);
            }
            rx.reset(http);
            // Started together, so that the first does not drain much of the backlog alone while the others start.
            JarProcess[] started = new JarProcess[k];
            int instances = k;
            Load.run(k, k, (w, i) -> started[i] = startOnPostgres("cluster-" + instances + "-" + (i + 1), database,
                    Map.of("WEBHOOK_URL", rx.url("/fast"), "WEBHOOK_ORDERING", "conversation")));
            List<JarProcess> jars = List.of(started);
            try {
                Map<String, Object> run = new LinkedHashMap<>();
                long allUp = Receivers.epochNanos();
                long okBefore = rx.ok(http, "fast");
                double[] cpu0 = clusterCpu(jars);
                ReceiverProcess.Arrivals arrivals = rx.awaitOk(http, jars.getFirst(), "fast", n,
                        DELIVERY_WAIT_SECONDS);
                double[] cpu = clusterCpu(jars);
                double seconds = (arrivals.lastOkEpochNanos() - allUp) / 1e9;
                long measured = arrivals.ok() - okBefore;
                rates[k] = measured / seconds;
                run.put("messages", n);
                run.put("conversations", conversations);
                run.put("delivered_before_all_up", okBefore);
                run.put("delivered_within_wait", arrivals.ok());
                run.put("delivered_per_s", rates[k]);
                String[] parts = {"jars", "postgres", "receiver", "bench"};
                Map<String, Object> cpuPerMessage = new LinkedHashMap<>();
                for (int p = 0; p < parts.length; p++) {
                    cpuPerMessage.put(parts[p] + "_ms", (cpu[p] - cpu0[p]) * 1000 / measured);
                }
                run.put("cpu_ms_per_message", cpuPerMessage);
                double busy = (Arrays.stream(cpu).sum() - Arrays.stream(cpu0).sum()) / seconds;
                run.put("busy_cores", busy);
                run.put("delivered_per_busy_core_s", rates[k] / busy);
                run.put("queue_after", status(jars.getFirst()).path("queue"));
                data.put(k + "_instances", run);
            } finally {
                jars.forEach(JarProcess::stop);
            }
        }
        double ratio = rates[CLUSTER] / rates[1];
        data.put("ratio_3_to_1", ratio);
        StringBuilder cpu = new StringBuilder("CPU per message (jars / PostgreSQL / receiver / load client): ");
        for (int k = 1; k <= CLUSTER; k++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> run = (Map<String, Object>) data.get(k + "_instances");
            @SuppressWarnings("unchecked")
            Map<String, Object> perMessage = (Map<String, Object>) run.get("cpu_ms_per_message");
            cpu.append(k).append(": ").append(perMessage.values().stream().map(v -> fmt((double) v, 2))
                    .reduce((a, b) -> a + " / " + b).orElse("")).append(" ms, ")
                    .append(fmt((double) run.get("busy_cores"), 2)).append(" cores busy, ")
                    .append(fmt((double) run.get("delivered_per_busy_core_s"), 0)).append("/s per busy core")
                    .append(k < CLUSTER ? "; " : "");
        }
        report.add(new Report.Row("12", "Delivered/s with 1, 2 and 3 instances on one PostgreSQL (" + n
                + " texts over " + conversations + " conversations, WEBHOOK_ORDERING=conversation, "
                + "WEBHOOK_CONCURRENCY=16 each)",
                "1: " + fmt(rates[1], 0) + "/s; 2: " + fmt(rates[2], 0) + "/s (" + fmt(rates[2] / rates[1], 2)
                        + "×); 3: " + fmt(rates[3], 0) + "/s (" + fmt(ratio, 2) + "×)",
                "3 instances ≥ 1.8× one", verdict(ratio >= 1.8), cpu + "; " + buildNote(), data));
    }

    /** CPU seconds so far of the jars together, PostgreSQL's server and sessions, the receivers, and this process. */
    private double[] clusterCpu(List<JarProcess> jars) {
        return new double[] {jars.stream().mapToDouble(JarProcess::cpuSeconds).sum(),
                JarProcess.treeCpuSeconds(Postgres.serverPid()), JarProcess.cpuSeconds(rx.pid(), false),
                ownCpuSeconds()};
    }

    /** What the rows on PostgreSQL depend on: the lease, and the poll that backs up the instances' wake-ups. */
    private static String buildNote() {
        return "lease " + LEASE.toSeconds() + " s, claim poll " + POLL.toSeconds() + " s";
    }

    // ---- 13. Accept latency, PostgreSQL against SQLite ---------------------------------------------------------------

    /**
     * Accept latency of one instance on SQLite and one on PostgreSQL, rounds alternating between them so that other
     * work on the machine falls on both alike; no webhook set, so accepting is all either does.
     */
    private void acceptOnPostgres() throws Exception {
        int rounds = 4;
        int perRound = 500;
        int clients = 16;
        int warm = 1_000;
        Postgres.Database database = Postgres.newDatabase();
        try (JarProcess sqlite = start("accept-sqlite", Map.of());
             JarProcess postgres = startOnPostgres("accept-postgres", database, Map.of())) {
            SideBySide runs = sideBySide(sqlite, postgres, warm, perRound, rounds, clients);
            List<Load.Result> sqliteRuns = runs.first();
            List<Load.Result> postgresRuns = runs.second();
            Load.Result s = merge(sqliteRuns);
            Load.Result p = merge(postgresRuns);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("sqlite", latencyData(s));
            data.put("postgres", latencyData(p));
            data.put("sqlite_p99_ms_by_round", sqliteRuns.stream().map(r -> r.percentileMillis(0.99)).toList());
            data.put("postgres_p99_ms_by_round", postgresRuns.stream().map(r -> r.percentileMillis(0.99)).toList());
            double ratio = p.percentileMillis(0.99) / s.percentileMillis(0.99);
            data.put("p99_ratio", ratio);
            report.add(new Report.Row("13", "Accept latency, PostgreSQL against SQLite (no webhook, " + clients
                    + " clients, " + rounds * perRound + " requests each, alternating rounds)",
                    "PostgreSQL " + latencies(p) + "; SQLite " + latencies(s) + "; p99 PostgreSQL ÷ SQLite "
                            + fmt(ratio, 2) + "×", "", Report.Verdict.INFO,
                    "accepted/s: PostgreSQL " + fmt(p.perSecond(), 0) + ", SQLite " + fmt(s.perSecond(), 0)
                            + "; PostgreSQL on the same machine, every commit flushed", data));
        }
    }

    // ---- 14. Failover gap ---------------------------------------------------------------------------------------------

    /**
     * Three instances on one PostgreSQL database; a text is sent, and the instance whose attempt is under way (the
     * receiver holds it unanswered) is killed with {@code kill -9}: how long until another instance delivers it.
     * Bounded by the lease (the dead instance renewed it at most a third of it before) plus the others' poll.
     */
    private void failover() throws Exception {
        int kills = 3;
        Duration lease = LEASE;
        Duration bound = lease.plus(POLL);
        Postgres.Database database = Postgres.newDatabase();
        Map<String, String> settings = Map.of("WEBHOOK_URL", rx.url("/stall-first"), "WEBHOOK_TIMEOUT", "30");
        List<JarProcess> jars = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        try {
            for (int i = 1; i <= CLUSTER; i++) {
                jars.add(startOnPostgres("failover-" + i, database, settings));
            }
            rx.reset(http);
            for (int k = 0; k < kills; k++) {
                long before = rx.stats(http).path("stall-first").path("requests").asLong();
                JsonNode accepted = http.postJson(jars.get(k % jars.size()).uri("/chat/messages"), "{\"phone\":\""
                        + Http.phone(9_000 + k) + "\",\"text\":\"failover " + k + "\"}", 202);
                awaitReceiver(s -> s.path("stall-first").path("requests").asLong() > before, 60);
                JarProcess holder = holderOf(database, accepted.path("id").asText(), jars);
                long killedAt = Receivers.epochNanos();
                holder.kill();
                jars.remove(holder);
                String key = accepted.path("phone").asText() + "#" + accepted.path("sequence").asLong();
                awaitAcknowledged(key, bound.toSeconds() + 60);
                gaps.add((rx.acknowledged(http).path(key).asLong() - killedAt) / 1e9);
                jars.add(startOnPostgres("failover-" + (CLUSTER + k + 1), database, settings));
            }
        } finally {
            jars.forEach(JarProcess::stop);
        }
        List<Double> sorted = gaps.stream().sorted().toList();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("gaps_s", gaps);
        data.put("lease_s", lease.toSeconds());
        data.put("poll_s", POLL.toSeconds());
        report.add(new Report.Row("14", "Failover gap: kill -9 of the instance holding a conversation's head, until "
                + "another delivers it (" + CLUSTER + " instances on PostgreSQL, " + kills + " kills)",
                "median " + fmt(sorted.get(sorted.size() / 2), 1) + " s (min " + fmt(sorted.getFirst(), 1) + ", max "
                        + fmt(sorted.getLast(), 1) + ")",
                "≤ lease + poll (" + bound.toSeconds() + " s)", verdict(sorted.getLast() <= bound.toSeconds()),
                buildNote() + "; the dead instance renewed its lease at most a third of it before the kill", data));
    }

    /** The instance whose claim the delivery of {@code messageId} is under. */
    private static JarProcess holderOf(Postgres.Database database, String messageId, List<JarProcess> jars)
            throws SQLException {
        try (Connection db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             PreparedStatement query = db.prepareStatement("SELECT claimed_by FROM deliveries WHERE message_id = ?")) {
            query.setString(1, messageId);
            try (ResultSet row = query.executeQuery()) {
                String owner = row.next() ? row.getString(1) : null;
                // claimed_by is the instance's INSTANCE_ID, then "#" and a mark of its start.
                return jars.stream().filter(jar -> owner != null && owner.startsWith(jar.name + "#")).findFirst()
                        .orElseThrow(() -> new IllegalStateException(messageId + " is claimed by " + owner
                                + ", none of the running instances"));
            }
        }
    }

    private void awaitReceiver(Predicate<JsonNode> done, long timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!done.test(rx.stats(http))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the receivers did not get there within " + timeoutSeconds + " s: "
                        + rx.stats(http));
            }
            Thread.sleep(5);
        }
    }

    private void awaitAcknowledged(String key, long timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!rx.acknowledged(http).has(key)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(key + " was not delivered within " + timeoutSeconds + " s");
            }
            Thread.sleep(20);
        }
    }

    /** An instance on {@code database}, named by {@code INSTANCE_ID} and with the bench's lease where it takes them. */
    private JarProcess startOnPostgres(String name, Postgres.Database database, Map<String, String> settings)
            throws Exception {
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put("DATABASE_URL", database.url());
        env.put("INSTANCE_ID", name);
        env.put("LEASE_SECONDS", Long.toString(LEASE.toSeconds()));
        return start(name, env);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private JarProcess start(String name, Map<String, String> settings) throws Exception {
        return start(name, settings, List.of());
    }

    private JarProcess start(String name, Map<String, String> settings, List<String> jvmOptions) throws Exception {
        List<String> options = new ArrayList<>(jvmOptions);
        // For profiling by hand, e.g. -Dbench.jarOptions=-XX:StartFlightRecording=filename=/tmp/%p.jfr
        String extra = System.getProperty("bench.jarOptions", "").strip();
        if (!extra.isEmpty()) {
            options.addAll(List.of(extra.split("\\s+")));
        }
        JarProcess p = JarProcess.start(name, java, jar, root, settings, options);
        startupMillis.add(p.startup.toMillis());
        return p;
    }

    /** {@code n} text messages from {@code concurrency} clients, each on its own kept-alive connection. */
    private static Load.Result postTexts(JarProcess jar, int n, int concurrency, int offset)
            throws InterruptedException {
        return postTexts(jar, n, concurrency, offset, Http.CONVERSATIONS);
    }

    /** As {@link #postTexts(JarProcess, int, int, int)}, spread over {@code conversations} phones. */
    private static Load.Result postTexts(JarProcess jar, int n, int concurrency, int offset, int conversations)
            throws InterruptedException {
        LoadClient[] clients = new LoadClient[concurrency];
        Arrays.setAll(clients, c -> new LoadClient(jar.port));
        try {
            return Load.run(n, concurrency, (w, i) -> {
                int status = clients[w].postJson("/chat/messages", Http.textMessage(offset + i, conversations));
                if (status != 202) {
                    throw new IOException("POST /chat/messages answered " + status);
                }
            });
        } finally {
            Arrays.stream(clients).forEach(LoadClient::close);
        }
    }

    private JsonNode status(JarProcess jar) throws IOException, InterruptedException {
        return http.getJson(jar.uri("/chat/webhook-status"));
    }

    /** Polls the webhook status every 100 ms until its queue counts satisfy {@code done}; returns them. */
    private JsonNode awaitQueue(JarProcess jar, Predicate<JsonNode> done, long timeoutSeconds)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            JsonNode queue = status(jar).path("queue");
            if (done.test(queue)) {
                return queue;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(jar.name + ": queue still " + queue + " after " + timeoutSeconds + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Each round's results of two jars measured side by side. */
    private record SideBySide(List<Load.Result> first, List<Load.Result> second) {
    }

    /**
     * {@code warm} texts to each jar, not counted, then {@code rounds} rounds of {@code perRound} texts to each in
     * turn: alternating, so that noise from other work on the machine falls on both alike.
     */
    private SideBySide sideBySide(JarProcess first, JarProcess second, int warm, int perRound, int rounds,
                                  int clients) throws Exception {
        postTexts(first, warm, clients, 0);
        postTexts(second, warm, clients, 0);
        SideBySide runs = new SideBySide(new ArrayList<>(), new ArrayList<>());
        for (int r = 0; r < rounds; r++) {
            runs.first().add(postTexts(first, perRound, clients, warm + r * perRound));
            runs.second().add(postTexts(second, perRound, clients, warm + r * perRound));
        }
        return runs;
    }

    private static Load.Result merge(List<Load.Result> runs) {
        long[] all = runs.stream().flatMapToLong(r -> Arrays.stream(r.latencyNanos())).toArray();
        return new Load.Result(all, runs.getFirst().startNanos(), runs.getLast().endNanos());
    }

    private static Report.Verdict verdict(boolean met) {
        return met ? Report.Verdict.MET : Report.Verdict.MISSED;
    }

    private static String gap(double value, double target, String unit) {
        return value <= target ? "" : "gap: " + fmt(value - target, 1) + " " + unit + " over (" + fmt(value / target, 1)
                + "×); ";
    }

    static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        String load;
        try {
            load = String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
        } catch (IOException | RuntimeException e) {
            load = "unknown";
        }
        m.put("load_average_at_start", load);
        m.put("date", DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC)
                .withNano(0)) + "Z");
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        return opts;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
