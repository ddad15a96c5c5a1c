package relay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import relay.testing.ChaosReceiver;
import relay.testing.InlineAttachment;

/**
 * The webhook receivers of {@code make bench}, in their own JVM so their CPU and heap are not the relay's. One JDK
 * {@code HttpServer} serves the well-behaved ones and the control routes; two raw sockets serve what an
 * {@code HttpServer} cannot do on purpose: accept and never answer, and reset a connection.
 *
 * <ul>
 *   <li>{@code /fast}: 200 at once.</li>
 *   <li>{@code /switch}: 503 while failing, else 200 — the backlog row flips it.</li>
 *   <li>{@code /ordered}: 200 after 5 ms, as an endpoint doing a little work per message; reads each body's
 *       {@code data.phone} and {@code data.sequence} to note when each message was first acknowledged and how many
 *       arrived after a later message of their phone.</li>
 *   <li>{@code /stall-first}: holds the first request of each {@code webhook-id} for a minute without answering (an
 *       attempt under way, for the bench to kill its sender), answers every later one 200 at once and notes it as
 *       {@code /ordered} does.</li>
 *   <li>{@code /files}: decodes the inline attachment's base64 while it streams in and checks its SHA-256;
 *       200 when it matches, 422 when not.</li>
 *   <li>the hang socket: accepts, never reads, never answers.</li>
 *   <li>the flaky socket: 60% 200; else one of 500, 503 with {@code Retry-After: 1}, a reset, or a 2 s stall after
 *       which the connection is dropped unanswered.</li>
 * </ul>
 *
 * <p>Control (JSON): {@code GET /control/stats}, {@code POST /control/reset}, {@code POST /control/failing?on=true},
 * {@code GET /control/acknowledged} ({@code /ordered}'s first 200 per message, {@code "PHONE#SEQUENCE": epoch nanos}).
 * Prints one line {@code receivers http=PORT hang=PORT flaky=PORT} once it listens.
 */
public final class Receivers {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] OK_BODY = "{}".getBytes(StandardCharsets.US_ASCII);
    /** How long {@code /ordered} takes per message: one conversation cannot go faster than 1 / this. */
    static final Duration ORDERED_WORK = Duration.ofMillis(5);
    /** How long {@code /stall-first} holds a message's first request: longer than the bench waits for a failover. */
    private static final Duration STALL = Duration.ofMinutes(1);

    /** Requests seen by one receiver: how many, how many answered 2xx, the most handled at once, body bytes. */
    static final class Counter {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong bad = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicInteger current = new AtomicInteger();
        final AtomicInteger max = new AtomicInteger();
        final AtomicLong lastOkEpochNanos = new AtomicLong();

        void enter() {
            requests.incrementAndGet();
            max.accumulateAndGet(current.incrementAndGet(), Math::max);
        }

        void leave(boolean answeredOk) {
            if (answeredOk) {
                lastOkEpochNanos.set(epochNanos());
                ok.incrementAndGet();
            } else {
                bad.incrementAndGet();
            }
            current.decrementAndGet();
        }

        Map<String, Object> view() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("requests", requests.get());
            v.put("ok", ok.get());
            v.put("bad", bad.get());
            v.put("bytes", bytes.get());
            v.put("max_concurrent", max.get());
            v.put("last_ok_epoch_nanos", lastOkEpochNanos.get());
            return v;
        }
    }

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final Flaky flaky;
    private final Acknowledgements acknowledgements = new Acknowledgements();
    /** The webhook-ids whose first request {@code /stall-first} held. */
    private final Set<String> stalled = ConcurrentHashMap.newKeySet();

    private Receivers(long seed) {
        this.flaky = new Flaky(seed);
    }

    public static void main(String[] args) throws IOException {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 42;
        Receivers receivers = new Receivers(seed);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        HttpServer http = HttpServer.create(new InetSocketAddress(loopback, 0), 1024);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/fast", logged(exchange -> receivers.answer(exchange, "fast", false)));
        http.createContext("/switch", logged(exchange -> receivers.answer(exchange, "switch",
                receivers.failing.get())));
        http.createContext("/files", logged(receivers::checkFile));
        http.createContext("/ordered", logged(receivers::ordered));
        http.createContext("/stall-first", logged(receivers::stallFirst));
        http.createContext("/control/", logged(receivers::control));
        http.start();
        ServerSocket hang = new ServerSocket(0, 1024, loopback);
        ChaosReceiver flakyServer = new ChaosReceiver(receivers.flaky::answer);
        Thread.ofPlatform().daemon().name("hang").start(() -> receivers.hang(hang));
        System.out.println("receivers http=" + http.getAddress().getPort() + " hang=" + hang.getLocalPort()
                + " flaky=" + flakyServer.port());
        System.out.flush();
    }

    /** The JDK server drops a handler's exception silently; a bench receiver that breaks must say why. */
    private static HttpHandler logged(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                System.err.println(exchange.getRequestURI() + ": " + e);
                throw e;
            }
        };
    }

    private Counter counter(String name) {
        return counters.computeIfAbsent(name, n -> new Counter());
    }

    private void answer(HttpExchange exchange, String name, boolean fail) throws IOException {
        Counter counter = counter(name);
        counter.enter();
        boolean ok = false;
        try (exchange) {
            counter.bytes.addAndGet(exchange.getRequestBody().transferTo(OutputStream.nullOutputStream()));
            if (fail) {
                exchange.sendResponseHeaders(503, -1);
            } else {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, OK_BODY.length);
                exchange.getResponseBody().write(OK_BODY);
                ok = true;
            }
        } finally {
            counter.leave(ok);
        }
    }

    /** What {@code /ordered} does: reads the message's phone and sequence, takes 5 ms, notes it and answers 200. */
    private void ordered(HttpExchange exchange) throws IOException {
        Counter counter = counter("ordered");
        counter.enter();
        boolean ok = false;
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            counter.bytes.addAndGet(body.length);
            JsonNode data = JSON.readTree(body).path("data");
            try {
                Thread.sleep(ORDERED_WORK);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            acknowledgements.note(data.path("phone").asText(), data.path("sequence").asLong());
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, OK_BODY.length);
            exchange.getResponseBody().write(OK_BODY);
            ok = true;
        } finally {
            counter.leave(ok);
        }
    }

    /** What {@code /stall-first} does: the first request of a message waits a minute, unanswered; a later one is 200. */
    private void stallFirst(HttpExchange exchange) throws IOException {
        Counter counter = counter("stall-first");
        counter.enter();
        boolean ok = false;
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode data = JSON.readTree(body).path("data");
            if (stalled.add(exchange.getRequestHeaders().getFirst("webhook-id"))) {
                try {
                    Thread.sleep(STALL);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            acknowledgements.note(data.path("phone").asText(), data.path("sequence").asLong());
            exchange.sendResponseHeaders(200, OK_BODY.length);
            exchange.getResponseBody().write(OK_BODY);
            ok = true;
        } finally {
            counter.leave(ok);
        }
    }

    /** Streams the JSON: the announced {@code sha256} comes before {@code data_base64}, decoded into a digest. */
    private void checkFile(HttpExchange exchange) throws IOException {
        Counter counter = counter("files");
        counter.enter();
        boolean ok = false;
        try (exchange) {
            CountingInput body = new CountingInput(exchange.getRequestBody());
            ok = InlineAttachment.read(body).intact();
            counter.bytes.addAndGet(body.count);
            exchange.sendResponseHeaders(ok ? 200 : 422, -1);
        } finally {
            counter.leave(ok);
        }
    }

    private void control(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            URI uri = exchange.getRequestURI();
            Object reply = switch (uri.getPath()) {
                case "/control/stats" -> stats();
                case "/control/acknowledged" -> acknowledgements.firstOkEpochNanos;
                case "/control/reset" -> {
                    counters.clear();
                    flaky.reset();
                    acknowledgements.reset();
                    stalled.clear();
                    yield stats();
                }
                case "/control/failing" -> {
                    failing.set(String.valueOf(uri.getQuery()).contains("on=true"));
                    yield Map.of("failing", failing.get());
                }
                default -> null;
            };
            if (reply == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = JSON.writeValueAsBytes(reply);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private Map<String, Object> stats() {
        Map<String, Object> all = new LinkedHashMap<>();
        counters.forEach((name, c) -> all.put(name, c.view()));
        all.put("flaky", flaky.view());
        all.put("acknowledged", acknowledgements.view());
        return all;
    }

    /** Accepts and keeps every connection without reading a byte: the client waits until its own timeout. */
    private void hang(ServerSocket server) {
        List<Socket> kept = new ArrayList<>();
        Counter counter = counter("hang");
        while (true) {
            try {
                kept.add(server.accept());
                counter.requests.incrementAndGet();
                kept.removeIf(Socket::isClosed);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The seed's flaky endpoint, on a raw socket ({@link ChaosReceiver}) so it can reset connections and stall. */
    static final class Flaky {
        enum Outcome { OK, HTTP_500, HTTP_503, RESET, STALL }

        private final ReentrantLock lock = new ReentrantLock();
        private SplittableRandom random; // guarded by lock
        private final long seed;
        private final Map<Outcome, AtomicLong> outcomes = new ConcurrentHashMap<>();
        private final Map<String, Seen> byId = new ConcurrentHashMap<>();

        /** What one webhook-id got: requests, and how many of them were answered 200. */
        private record Seen(AtomicLong requests, AtomicLong ok) {
        }

        Flaky(long seed) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
        }

        void reset() {
            lock.lock();
            try {
                random = new SplittableRandom(seed);
            } finally {
                lock.unlock();
            }
            outcomes.clear();
            byId.clear();
        }

        private Outcome draw() {
            double r;
            lock.lock();
            try {
                r = random.nextDouble();
            } finally {
                lock.unlock();
            }
            if (r < 0.6) {
                return Outcome.OK;
            }
            return Outcome.values()[1 + (int) ((r - 0.6) / 0.1)];
        }

        /** Draws this request's fate and keeps the tally; the socket work is {@link ChaosReceiver}'s. */
        ChaosReceiver.Behaviour answer(ChaosReceiver.Received request) {
            Outcome outcome = draw();
            outcomes.computeIfAbsent(outcome, o -> new AtomicLong()).incrementAndGet();
            Seen seen = byId.computeIfAbsent(Objects.requireNonNullElse(request.webhookId(), "?"),
                    i -> new Seen(new AtomicLong(), new AtomicLong()));
            seen.requests().incrementAndGet();
            if (outcome == Outcome.OK) {
                seen.ok().incrementAndGet();
            }
            return switch (outcome) {
                case OK -> new ChaosReceiver.Behaviour.Answer(200, Map.of(), "{}", false);
                case HTTP_500 -> new ChaosReceiver.Behaviour.Answer(500, Map.of(), "{\"error\":\"boom\"}", false);
                case HTTP_503 -> new ChaosReceiver.Behaviour.Answer(503, Map.of("Retry-After", "1"), "", false);
                case RESET -> new ChaosReceiver.Behaviour.Reset();
                case STALL -> new ChaosReceiver.Behaviour.Stall(Duration.ofSeconds(2)); // then dropped unanswered
            };
        }

        Map<String, Object> view() {
            Map<String, Object> v = new LinkedHashMap<>();
            long requests = 0;
            long idsDelivered = 0;
            long duplicateDeliveries = 0;
            long idsRetried = 0;
            for (Seen seen : byId.values()) {
                long r = seen.requests().get();
                long ok = seen.ok().get();
                requests += r;
                idsDelivered += ok > 0 ? 1 : 0;
                duplicateDeliveries += Math.max(0, ok - 1);
                idsRetried += r > 1 ? 1 : 0;
            }
            v.put("requests", requests);
            v.put("ids", byId.size());
            v.put("ids_delivered", idsDelivered);
            v.put("duplicate_deliveries", duplicateDeliveries);
            v.put("ids_seen_more_than_once", idsRetried);
            Map<String, Long> byOutcome = new LinkedHashMap<>();
            for (Outcome o : Outcome.values()) {
                byOutcome.put(o.name().toLowerCase(Locale.ROOT), outcomes.getOrDefault(o, new AtomicLong()).get());
            }
            v.put("outcomes", byOutcome);
            return v;
        }
    }

    /**
     * The order {@code /ordered} acknowledged messages in: the time of each message's first 200, by
     * {@code PHONE#SEQUENCE}, and how many were acknowledged after a later message of their phone.
     */
    static final class Acknowledgements {
        private final Map<String, Long> firstOkEpochNanos = new ConcurrentHashMap<>();
        private final Map<String, Long> highestByPhone = new ConcurrentHashMap<>();
        private final AtomicLong late = new AtomicLong();

        void note(String phone, long sequence) {
            if (firstOkEpochNanos.putIfAbsent(phone + "#" + sequence, epochNanos()) != null) {
                return;
            }
            highestByPhone.merge(phone, sequence, (highest, next) -> {
                if (next < highest) {
                    late.incrementAndGet();
                }
                return Math.max(highest, next);
            });
        }

        void reset() {
            firstOkEpochNanos.clear();
            highestByPhone.clear();
            late.set(0);
        }

        Map<String, Object> view() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("messages", firstOkEpochNanos.size());
            v.put("phones", highestByPhone.size());
            v.put("after_a_later_one", late.get());
            return v;
        }
    }

    private static final class CountingInput extends FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    static long epochNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
