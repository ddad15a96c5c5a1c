package relay.webhook;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.stream.IntStream;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.NewMessage;
import relay.domain.Ordering;
import relay.store.AttachmentStore;
import relay.store.Signals;
import relay.store.sqlite.SqliteStore;
import relay.testing.Await;
import relay.testing.FakeClock;
import relay.testing.ManualScheduler;

/**
 * The delivery engine wired as in production — a real store in a folder, a real sender posting to a local webhook,
 * a real circuit breaker and retry policy, attempts on virtual threads — but on a fake clock, with timers that fire
 * only when the test moves the clock ({@link #advance}), and seeded jitter. Each message goes to a phone of its own
 * unless the test names one, so that conversations only order what a test puts in one. {@link #restart()} stops
 * the engine abruptly and starts a new one on the same folder.
 */
final class EngineFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final Duration RETRY_BASE = Duration.ofSeconds(2);
    static final Duration RETRY_MAX = Duration.ofSeconds(60);
    static final int FAILURE_THRESHOLD = 5;
    private static final Duration SETTLE = Duration.ofSeconds(60);
    static final Duration OPEN_WINDOW = Duration.ofSeconds(60);
    static final int MAX_RETRIES = 5;
    static final Duration LEASE = Duration.ofSeconds(30);
    /** Far apart, so that the periodic pass does not blur what a test expects a wake-up to do. */
    static final Duration POLL = Duration.ofHours(1);

    final FakeClock clock = new FakeClock(T0);
    private final Path dataDir;
    private final HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5));
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<String> unbuildable = ConcurrentHashMap.newKeySet();
    /** Tasks handed to the engine's executor (passes and attempts) and not finished yet. */
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger maxBusy = new AtomicInteger();
    private Optional<URI> webhook = Optional.empty();
    private Ordering ordering = Ordering.CONVERSATION;
    private int concurrency = 1;
    private Duration timeout = Duration.ofSeconds(5);
    private int nextId = 1;
    private IntSupplier parked = () -> 0;

    SqliteStore store;
    CircuitBreaker breaker;
    ManualScheduler timers;
    DeliveryEngine engine;

    EngineFixture(Path dataDir) {
        this.dataDir = dataDir;
    }

    EngineFixture webhook(URI url) {
        webhook = Optional.of(url);
        return this;
    }

    EngineFixture ordering(Ordering order) {
        ordering = order;
        return this;
    }

    EngineFixture concurrency(int attemptsInFlight) {
        concurrency = attemptsInFlight;
        return this;
    }

    /** WEBHOOK_TIMEOUT; a small body adds one second to it. */
    EngineFixture timeout(Duration base) {
        timeout = base;
        return this;
    }

    /** Tells how many attempts the webhook keeps waiting: those are busy, but settled as far as a test can wait. */
    EngineFixture parkedAtWebhook(IntSupplier requests) {
        parked = requests;
        return this;
    }

    /** Opens the store (unless open) and starts an engine on what it holds. */
    EngineFixture start() throws IOException {
        if (store == null) {
            store = SqliteStore.open(dataDir, clock);
        }
        breaker = new CircuitBreaker(FAILURE_THRESHOLD, OPEN_WINDOW, clock);
        timers = new ManualScheduler(clock);
        engine = newEngine("engine-" + nextId++, breaker, timers);
        engine.start();
        awaitSettled();
        return this;
    }

    /**
     * An engine on the same store with a circuit and timers of its own, as another instance would be; started by the
     * caller.
     */
    DeliveryEngine newEngine(String owner, CircuitBreaker circuit, ManualScheduler timerOfItsOwn) {
        Optional<WebhookSender> sender = webhook.map(url -> new WebhookSender(client, url, "relay-test/1.0",
                Optional.empty(), timeout, 1024, false, clock));
        return new DeliveryEngine(store, store, sender, circuit,
                new RetryPolicy(RETRY_BASE, RETRY_MAX, new Random(7)), this::body, kind -> MAX_RETRIES,
                new DeliveryEngine.Settings(ordering, concurrency, LEASE, POLL, owner), clock, timerOfItsOwn,
                this::execute, Signals.none());
    }

    /** Stops the engine, and waits for a pass it may have been making, so that the store is the test's alone. */
    void stop() {
        engine.close(Duration.ZERO);
        awaitSettled();
    }

    /** Stops as a crash would (no grace for attempts in flight), then starts anew on the same data folder. */
    void restart() throws IOException {
        engine.close(Duration.ZERO);
        store.close();
        store = null;
        start();
    }

    /** A phone of its own for each call. */
    String newPhone() {
        return String.format("+551199%07d", nextId++);
    }

    /** Stores a message as the chat does, without telling the engine. */
    Message accept(String phone, String text) {
        return acceptAs(phone, text, DeliveryState.QUEUED);
    }

    Message acceptAs(String phone, String text, DeliveryState initial) {
        return store.accept(new NewMessage(String.format("msg_%04d", nextId++), phone, text, null, clock.instant()),
                initial);
    }

    /** Stores a message for a phone of its own and tells the engine. */
    Message send(String text) {
        return sendTo(newPhone(), text);
    }

    Message sendTo(String phone, String text) {
        Message message = accept(phone, text);
        engine.accepted(message, DeliveryState.QUEUED);
        return message;
    }

    List<Message> send(int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> send("message " + i)).toList();
    }

    List<Message> sendTo(String phone, int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> sendTo(phone, "message " + i)).toList();
    }

    /** Watches the first attempt, stores the message as queued and tells the engine, as the chat's ?wait=true does. */
    CompletableFuture<AttemptOutcome> sendAndWatch(String text) {
        String id = String.format("msg_%04d", nextId++);
        CompletableFuture<AttemptOutcome> first = engine.watchFirstAttempt(id);
        Message message = store.accept(new NewMessage(id, newPhone(), text, null, clock.instant()),
                DeliveryState.QUEUED);
        engine.accepted(message, DeliveryState.QUEUED);
        return first;
    }

    /** Stores the message in the state the engine asks for, as the chat does, and tells the engine. */
    Message sendAsTheChatDoes(String text) {
        DeliveryState initial = engine.stateForNewMessage();
        Message message = acceptAs(newPhone(), text, initial);
        engine.accepted(message, initial);
        return message;
    }

    /**
     * Stores a message with an attachment as the chat does (upload, then the message), then takes its file away as a
     * full or broken disk would, and tells the engine.
     */
    Message sendWithLostAttachment(String text) throws IOException {
        byte[] content = (text + " — the attached report").getBytes(StandardCharsets.UTF_8);
        var stored = (AttachmentStore.Written.Stored) store.upload(new ByteArrayInputStream(content), 1 << 20);
        Attachment attachment = new Attachment(String.format("att_%04d", nextId++), MessageKind.DOCUMENT,
                "report.txt", "text/plain", stored.size(), stored.sha256(), clock.instant());
        store.saveAttachment(attachment);
        Message message = store.accept(new NewMessage(String.format("msg_%04d", nextId++), newPhone(), text,
                attachment.id(), clock.instant()), DeliveryState.QUEUED);
        Files.move(store.files().path(attachment.sha256()), dataDir.resolve("lost-" + attachment.sha256()));
        engine.accepted(message, DeliveryState.QUEUED);
        return message;
    }

    /** Puts back the file {@link #sendWithLostAttachment} took away, as an operator restoring a backup would. */
    void restoreAttachment(Message message) throws IOException {
        String sha256 = message.attachment().sha256();
        Files.move(dataDir.resolve("lost-" + sha256), store.files().path(sha256));
    }

    /** The next attempt of this message fails inside the service, before anything is sent. */
    void breakBodyOnce(Message message) {
        unbuildable.add(message.id());
    }

    /** Moves the clock and fires the timers that came due, then lets what they started finish. */
    void advance(Duration by) {
        clock.advance(by);
        timers.runDue();
        awaitSettled();
    }

    void advanceTo(Instant at) {
        advance(Duration.between(clock.instant(), at));
    }

    Delivery delivery(Message message) {
        return store.delivery(message.id()).orElseThrow();
    }

    List<Attempt> attemptsOf(Message message) {
        return store.attempts(message.id());
    }

    /** Waits for the message to reach {@code state}, and for the engine to finish what it does next. */
    Delivery await(Message message, DeliveryState state) {
        return settled(Await.until(message.id() + " " + state.wireName(), () -> delivery(message),
                delivery -> delivery.state() == state));
    }

    /** Waits for the state that the given attempt led to, as {@link #await(Message, DeliveryState)} does. */
    Delivery await(Message message, DeliveryState state, int attempts) {
        return settled(Await.until(message.id() + " " + state.wireName() + " after attempt " + attempts,
                () -> delivery(message), delivery -> delivery.state() == state && delivery.attempts() == attempts));
    }

    void awaitAll(List<Message> messages, DeliveryState state) {
        messages.forEach(message -> await(message, state));
    }

    private <T> T settled(T result) {
        awaitSettled();
        return result;
    }

    /**
     * Waits until no task of the engine runs but the attempts the webhook keeps waiting: no pass, no other attempt. A
     * task hands on what it starts before it ends, so none is missed between two.
     */
    void awaitSettled() {
        // As long as a backlog's drain may take on a loaded machine: a bound on liveness, not a speed.
        Await.until("the engine's tasks finish", SETTLE, () -> busy.get() == parked.getAsInt(), settled -> settled);
    }

    /** The most tasks (passes and attempts) that were running at once. */
    int maxBusy() {
        return maxBusy.get();
    }

    private void execute(Runnable task) {
        maxBusy.accumulateAndGet(busy.incrementAndGet(), Math::max);
        try {
            threads.execute(() -> {
                try {
                    task.run();
                } finally {
                    busy.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            busy.decrementAndGet();
            throw e;
        }
    }

    private WebhookBody body(Message message) {
        if (unbuildable.remove(message.id())) {
            throw new IllegalStateException("cannot build the body of " + message.id());
        }
        return WebhookBody.forMessage(message, store::open, null);
    }

    @Override
    public void close() {
        engine.close(Duration.ZERO);
        if (store != null) {
            store.close();
        }
        threads.shutdownNow();
        client.shutdownNow();
    }
}
