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
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.NewMessage;
import relay.store.AttachmentStore;
import relay.store.sqlite.SqliteStore;
import relay.testing.Await;
import relay.testing.FakeClock;
import relay.testing.ManualScheduler;

/**
 * The delivery engine wired as in production — a real outbox in a folder, a real sender posting to a local webhook,
 * a real circuit breaker and retry policy — but on a fake clock, with timers that fire only when the test moves the
 * clock, and seeded jitter. {@link #restart()} stops it abruptly and starts a new one on the same folder.
 */
final class Engine implements AutoCloseable {
    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final String PHONE = "+5511999990001";
    static final Duration RETRY_BASE = Duration.ofSeconds(2);
    static final Duration RETRY_MAX = Duration.ofSeconds(60);
    static final int FAILURE_THRESHOLD = 5;
    static final Duration OPEN_WINDOW = Duration.ofSeconds(60);
    static final int MAX_RETRIES = 5;

    final FakeClock clock = new FakeClock(T0);
    private final Path dataDir;
    private final HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5));
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<String> unbuildable = ConcurrentHashMap.newKeySet();
    /** Tasks handed to the dispatcher's executor and not finished yet. */
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger maxBusy = new AtomicInteger();
    private Optional<URI> webhook = Optional.empty();
    private int concurrency = 1;
    private Duration timeout = Duration.ofSeconds(5);
    private Executor attempts = threads;
    private int nextId = 1;

    SqliteStore outbox;
    CircuitBreaker breaker;
    ManualScheduler timers;
    Dispatcher dispatcher;

    Engine(Path dataDir) {
        this.dataDir = dataDir;
    }

    Engine webhook(URI url) {
        webhook = Optional.of(url);
        return this;
    }

    Engine concurrency(int attemptsInFlight) {
        concurrency = attemptsInFlight;
        return this;
    }

    /** WEBHOOK_TIMEOUT; a small body adds one second to it. */
    Engine timeout(Duration base) {
        timeout = base;
        return this;
    }

    /** Runs the dispatcher's attempts (and its writes that hold deliveries); virtual threads unless told. */
    Engine attempts(Executor executor) {
        attempts = executor;
        return this;
    }

    /** Opens the outbox and starts a dispatcher on what it holds. */
    Engine start() throws IOException {
        outbox = SqliteStore.open(dataDir, clock);
        breaker = new CircuitBreaker(FAILURE_THRESHOLD, OPEN_WINDOW, clock);
        timers = new ManualScheduler(clock);
        Optional<WebhookSender> sender = webhook.map(url -> new WebhookSender(client, url, "relay-test/1.0",
                Optional.empty(), timeout, 1024, false, clock));
        dispatcher = new Dispatcher(outbox, outbox, sender, breaker,
                new RetryPolicy(RETRY_BASE, RETRY_MAX, new Random(7)), this::body, kind -> MAX_RETRIES, concurrency,
                clock, timers, this::execute);
        dispatcher.start();
        return this;
    }

    /** Stops as a crash would (no grace for attempts in flight), then starts anew on the same data folder. */
    void restart() throws IOException {
        dispatcher.close(Duration.ZERO);
        outbox.close();
        start();
    }

    /** Stores a message as the chat does, without handing it to the dispatcher. */
    Message accept(String text) {
        return acceptAs(text, DeliveryState.QUEUED);
    }

    Message send(String text) {
        Message message = accept(text);
        dispatcher.submit(message, DeliveryState.QUEUED);
        return message;
    }

    /** Stores a message as queued and hands it over; completes with its first attempt's outcome. */
    CompletableFuture<AttemptOutcome> sendAndWatch(String text) {
        return dispatcher.submitAndWatch(accept(text), DeliveryState.QUEUED).firstAttempt();
    }

    /** Stores the message in the state the dispatcher asks for, as the chat does, and hands it over. */
    Message sendAsTheChatDoes(String text) {
        DeliveryState initial = dispatcher.stateForNewMessage();
        Message message = acceptAs(text, initial);
        dispatcher.submit(message, initial);
        return message;
    }

    Message acceptAs(String text, DeliveryState initial) {
        return outbox.accept(new NewMessage(String.format("msg_%04d", nextId++), PHONE, text, null, clock.instant()),
                initial);
    }

    /**
     * Stores a message with an attachment as the chat does (upload, then the message), then takes its file away as a
     * full or broken disk would, and hands it over.
     */
    Message sendWithLostAttachment(String text) throws IOException {
        byte[] content = (text + " — the attached report").getBytes(StandardCharsets.UTF_8);
        var stored = (AttachmentStore.Written.Stored) outbox.upload(new ByteArrayInputStream(content), 1 << 20);
        Attachment attachment = new Attachment(String.format("att_%04d", nextId++), MessageKind.DOCUMENT, "report.txt",
                "text/plain", stored.size(), stored.sha256(), clock.instant());
        outbox.saveAttachment(attachment);
        Message message = outbox.accept(new NewMessage(String.format("msg_%04d", nextId++), PHONE, text,
                attachment.id(), clock.instant()), DeliveryState.QUEUED);
        Files.move(outbox.files().path(attachment.sha256()), dataDir.resolve("lost-" + attachment.sha256()));
        dispatcher.submit(message, DeliveryState.QUEUED);
        return message;
    }

    /** Puts back the file {@link #sendWithLostAttachment} took away, as an operator restoring a backup would. */
    void restoreAttachment(Message message) throws IOException {
        String sha256 = message.attachment().sha256();
        Files.move(dataDir.resolve("lost-" + sha256), outbox.files().path(sha256));
    }

    List<Message> send(int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> send("message " + i)).toList();
    }

    /** The next attempt of this message fails inside the service, before anything is sent. */
    void breakBodyOnce(Message message) {
        unbuildable.add(message.id());
    }

    /** Moves the clock and fires the timers that came due. */
    void advance(Duration by) {
        clock.advance(by);
        timers.runDue();
    }

    void advanceTo(Instant at) {
        advance(Duration.between(clock.instant(), at));
    }

    Delivery delivery(Message message) {
        return outbox.delivery(message.id()).orElseThrow();
    }

    List<Attempt> attemptsOf(Message message) {
        return outbox.attempts(message.id());
    }

    /**
     * Waits for the message to reach {@code state} and for the dispatcher to finish what it does after (arming its
     * timer), so that the test can move the clock next.
     */
    Delivery await(Message message, DeliveryState state) {
        return settled(Await.until(message.id() + " " + state.wireName(), () -> delivery(message),
                delivery -> delivery.state() == state));
    }

    /** Waits for the state that the given attempt led to, as {@link #await(Message, DeliveryState)} does. */
    Delivery await(Message message, DeliveryState state, int attempts) {
        return settled(Await.until(message.id() + " " + state.wireName() + " after attempt " + attempts,
                () -> delivery(message), delivery -> delivery.state() == state && delivery.attempts() == attempts));
    }

    private <T> T settled(T result) {
        awaitSettled();
        return result;
    }

    /** Waits until every task handed to the dispatcher's executor has finished. */
    void awaitSettled() {
        Await.until("the dispatcher's tasks finish", () -> busy.get() == 0);
    }

    /** The most tasks (attempts and the writes that hold deliveries) that were running at once. */
    int maxBusy() {
        return maxBusy.get();
    }

    void awaitAll(List<Message> messages, DeliveryState state) {
        messages.forEach(message -> await(message, state));
    }

    private void execute(Runnable task) {
        maxBusy.accumulateAndGet(busy.incrementAndGet(), Math::max);
        try {
            attempts.execute(() -> {
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
        return WebhookBody.forMessage(message, outbox::open, null);
    }

    @Override
    public void close() {
        dispatcher.close(Duration.ZERO);
        outbox.close();
        threads.shutdownNow();
        client.shutdownNow();
    }
}
