package relay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import relay.testing.ChaosReceiver.Behaviour;

/**
 * A webhook receiver for the ordering tests: it answers each message request after a latency drawn from a seed and
 * fails some of them the way a flaky endpoint does (500, 503, a reset — all worth a retry), and records every
 * request with the {@code data.phone} and {@code data.sequence} of its body, its {@code webhook-id} and what it was
 * answered, in the order the requests arrived.
 *
 * <p>A request's fate depends only on the seed, its message's phone and sequence, and how many requests for that
 * message came before it, so a seed gives every message the same fate whatever the timing. Only a message's first
 * {@link Chaos#maxFailuresPerMessage} requests may fail, so a retry budget above that always suffices.
 *
 * <p>A test can also script the answer for one message ({@link #answer}) and fail every request for a while
 * ({@link #failEverything}). While a request waits out its latency it is "in flight" for its phone and for its
 * message; the counts drop before the answer is written, so the sender can never start the next request of that
 * phone before they drop.
 */
public final class ConversationReceiver implements AutoCloseable {
    /** Stands for "no answer, the connection was reset" in {@link Request#status()}. */
    public static final int RESET = 0;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] FAILURES = {500, 503, RESET};

    /**
     * @param failureRate           the share of a message's early requests that fail
     * @param maxLatency            latencies are drawn uniformly from zero to this
     * @param maxFailuresPerMessage only a message's first this many requests may fail
     */
    public record Chaos(double failureRate, Duration maxLatency, int maxFailuresPerMessage) {
        /** Every request answered 200 at once. */
        public static final Chaos NONE = new Chaos(0, Duration.ZERO, 0);
    }

    /**
     * One request as it arrived.
     *
     * @param arrival  its place in the order requests arrived, from 0
     * @param sequence {@code data.sequence}, or -1 for a body that is not a message
     * @param status   what it was answered; {@link #RESET} for a reset
     */
    public record Request(int arrival, String webhookId, String phone, long sequence, String bodySha256, int status) {
        public boolean succeeded() {
            return status >= 200 && status <= 299;
        }
    }

    private record Message(String phone, long sequence) {
    }

    private record Script(int status, Duration latency) {
    }

    private final long seed;
    private final Chaos chaos;
    private final ChaosReceiver server;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Request> requests = new ArrayList<>(); // guarded by lock
    private final Map<String, AtomicInteger> requestsById = new ConcurrentHashMap<>();
    private final Map<Message, Script> scripted = new ConcurrentHashMap<>();
    private final AtomicBoolean failEverything = new AtomicBoolean();
    private final Map<String, AtomicInteger> inFlightByPhone = new ConcurrentHashMap<>();
    private final AtomicInteger maxInFlightPerPhone = new AtomicInteger();
    private final Map<String, AtomicInteger> inFlightById = new ConcurrentHashMap<>();
    private final AtomicInteger maxInFlightPerMessage = new AtomicInteger();

    public ConversationReceiver(long seed, Chaos chaos) throws IOException {
        this.seed = seed;
        this.chaos = chaos;
        this.server = new ChaosReceiver(this::respond);
    }

    public String url() {
        return server.url("/hook");
    }

    /** Answers every request for the message {@code phone}/{@code sequence} with {@code status}, until unscripted. */
    public void answer(String phone, long sequence, int status) {
        answer(phone, sequence, status, Duration.ZERO);
    }

    /** As {@link #answer(String, long, int)}, each answer after {@code latency}. */
    public void answer(String phone, long sequence, int status, Duration latency) {
        scripted.put(new Message(phone, sequence), new Script(status, latency));
    }

    /** Lets the seed decide this message's answers again. */
    public void unscript(String phone, long sequence) {
        scripted.remove(new Message(phone, sequence));
    }

    /** While on, every request is answered 503 (no Retry-After), as an endpoint that is down. */
    public void failEverything(boolean on) {
        failEverything.set(on);
    }

    private Behaviour respond(ChaosReceiver.Received received) {
        JsonNode data = data(received.body());
        Message message = new Message(data.path("phone").asText(null), data.path("sequence").asLong(-1));
        int nth = requestsById.computeIfAbsent(String.valueOf(received.webhookId()), id -> new AtomicInteger())
                .incrementAndGet();
        SplittableRandom random = new SplittableRandom(seed ^ fateKey(message, nth));
        Script script = scripted.getOrDefault(message, fate(nth, random));
        record(received, message, script.status());
        holdInFlight(String.valueOf(message.phone()), String.valueOf(received.webhookId()), script.latency());
        return script.status() == RESET ? new Behaviour.Reset() : new Behaviour.Answer(script.status(), Map.of(),
                script.status() == 200 ? "{\"ok\":true}" : "{\"error\":\"chaos\"}", false);
    }

    /**
     * Counts the request in flight for its phone and for its message while it takes its latency; the counts drop
     * before the answer.
     */
    private void holdInFlight(String phone, String webhookId, Duration latency) {
        AtomicInteger ofPhone = inFlightByPhone.computeIfAbsent(phone, p -> new AtomicInteger());
        AtomicInteger ofMessage = inFlightById.computeIfAbsent(webhookId, id -> new AtomicInteger());
        maxInFlightPerPhone.accumulateAndGet(ofPhone.incrementAndGet(), Math::max);
        maxInFlightPerMessage.accumulateAndGet(ofMessage.incrementAndGet(), Math::max);
        try {
            Thread.sleep(latency);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ofMessage.decrementAndGet();
            ofPhone.decrementAndGet();
        }
    }

    /** Spreads (phone, sequence, nth) over 64 bits, so neighbouring messages draw unrelated fates. */
    private static long fateKey(Message message, int nth) {
        long key = (31L * String.valueOf(message.phone()).hashCode() + message.sequence()) * 31L + nth;
        return key * 0x9E3779B97F4A7C15L;
    }

    /** What the seed (or the endpoint being down) makes of a message's {@code nth} request. */
    private Script fate(int nth, SplittableRandom random) {
        Duration latency = Duration.ofMillis(random.nextLong(chaos.maxLatency().toMillis() + 1));
        if (failEverything.get()) {
            return new Script(503, latency);
        }
        boolean fails = random.nextDouble() < chaos.failureRate() && nth <= chaos.maxFailuresPerMessage();
        return new Script(fails ? FAILURES[random.nextInt(FAILURES.length)] : 200, latency);
    }

    private static JsonNode data(String body) {
        try {
            return body == null ? JSON.missingNode() : JSON.readTree(body).path("data");
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    private void record(ChaosReceiver.Received received, Message message, int status) {
        lock.lock();
        try {
            requests.add(new Request(requests.size(), received.webhookId(), message.phone(), message.sequence(),
                    received.bodySha256(), status));
        } finally {
            lock.unlock();
        }
    }

    /** Every request so far, in the order they arrived. */
    public List<Request> requests() {
        lock.lock();
        try {
            return List.copyOf(requests);
        } finally {
            lock.unlock();
        }
    }

    /** The requests for one message, in the order they arrived. */
    public List<Request> requestsFor(String webhookId) {
        return requests().stream().filter(r -> webhookId.equals(r.webhookId())).toList();
    }

    /** Each message's first request answered 2xx, in the order they arrived. */
    public List<Request> firstSuccesses() {
        Map<String, Request> first = new LinkedHashMap<>();
        for (Request r : requests()) {
            if (r.succeeded()) {
                first.putIfAbsent(r.webhookId(), r);
            }
        }
        return List.copyOf(first.values());
    }

    /** How many messages have been answered 2xx at least once. */
    public int delivered() {
        return firstSuccesses().size();
    }

    /** Per phone, the sequences of its first successes in the order they arrived. */
    public Map<String, List<Long>> arrivalOrderByPhone() {
        return firstSuccesses().stream().collect(Collectors.groupingBy(Request::phone, LinkedHashMap::new,
                Collectors.mapping(Request::sequence, Collectors.toList())));
    }

    /** Messages answered 2xx more than once, with how many times. */
    public Map<String, Long> duplicates() {
        Map<String, Long> successes = requests().stream().filter(Request::succeeded)
                .collect(Collectors.groupingBy(Request::webhookId, Collectors.counting()));
        successes.values().removeIf(count -> count == 1);
        return successes;
    }

    /** The ids it got that are not in {@code known}. */
    public Set<String> unknownIds(Set<String> known) {
        return requests().stream().map(Request::webhookId).filter(id -> !known.contains(id))
                .collect(Collectors.toSet());
    }

    /** The most requests of one phone it held at once. */
    public int maxInFlightPerPhone() {
        return maxInFlightPerPhone.get();
    }

    /** The most requests of one message ({@code webhook-id}) it held at once. */
    public int maxInFlightPerMessage() {
        return maxInFlightPerMessage.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
