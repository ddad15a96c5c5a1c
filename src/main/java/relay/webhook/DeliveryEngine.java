package relay.webhook;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Circuit;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;
import relay.domain.Ordering;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.Claim;
import relay.store.DeliveryQueue;
import relay.store.MessageReads;
import relay.store.Signal;
import relay.store.Signals;
import relay.webhook.Transitions.Outcome;

/**
 * The delivery engine. The store is the queue and holds every decision; this class wires the {@link ClaimLoop}
 * (which claims due heads of conversations and holds what comes due while the circuit is open) to the
 * {@link DeliveryAttempt}s it launches, turns the circuit's changes into passes of the loop, and tells listeners of
 * every change of a delivery. In memory it keeps only a wake-up hint and who waits for a message's first attempt.
 */
public final class DeliveryEngine implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(DeliveryEngine.class);
    private static final AttemptOutcome UNCONFIGURED =
            new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set");
    private static final String CIRCUIT_OPEN = "the circuit is open";

    /**
     * How deliveries are claimed.
     *
     * @param ordering    the head-of-line policy of each conversation
     * @param concurrency attempts in flight at most, in all
     * @param lease       how long a claim lasts unless renewed; a delivery cut off by a crash is due again after it
     * @param poll        how often the engine looks for due deliveries without being asked
     * @param owner       names this process in the claims it makes
     */
    public record Settings(Ordering ordering, int concurrency, Duration lease, Duration poll, String owner) {
    }

    /**
     * What the operator may change while the engine runs (PUT /chat/config). Swapped whole by {@link #reconfigure}
     * and read once by each pass and each attempt as it starts, so an attempt under way finishes with what it began
     * with and the next one uses the new.
     *
     * @param sender empty when no WEBHOOK_URL is configured: messages then wait as queued
     */
    public record Live(Optional<WebhookSender> sender, RetryPolicy policy, ToIntFunction<MessageKind> maxRetries,
                       Ordering ordering, int concurrency, int failureThreshold, Duration circuitOpen) {
        public Live {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
        }
    }

    private final DeliveryQueue queue;
    private final MessageReads reads;
    private final AtomicReference<Live> live;
    private final CircuitBreaker breaker;
    private final Function<Message, WebhookBody> bodies;
    private final Duration lease;
    private final InstantSource clock;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Signals signals;
    private final ClaimLoop loop;
    private final List<Consumer<DeliveryEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, List<CompletableFuture<AttemptOutcome>>> watchers = new HashMap<>(); // guarded by lock
    /** Whether the log already said that deliveries are being held; said once until they are released. */
    private final AtomicBoolean holdingSaid = new AtomicBoolean();
    /** Whether {@link #start} was called, and whether the loop runs: not until a webhook is configured. */
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean looping = new AtomicBoolean();

    /**
     * @param sender   empty when no WEBHOOK_URL is configured: messages then wait as queued
     * @param bodies   builds the request body of a message (inline base64 or signed URL)
     * @param executor runs the claim loop's passes and each attempt; a virtual thread per task in production
     * @param signals  told of each change made here, for the other instances sharing the store
     */
    public DeliveryEngine(DeliveryQueue queue, MessageReads reads, Optional<WebhookSender> sender,
                          CircuitBreaker breaker, RetryPolicy policy, Function<Message, WebhookBody> bodies,
                          ToIntFunction<MessageKind> maxRetries, Settings settings, InstantSource clock,
                          Scheduler scheduler, Executor executor, Signals signals) {
        this.queue = queue;
        this.reads = reads;
        CircuitBreaker.Snapshot circuit = breaker.snapshot();
        this.live = new AtomicReference<>(new Live(sender, policy, maxRetries, settings.ordering(),
                settings.concurrency(), circuit.failureThreshold(), circuit.openDuration()));
        this.breaker = breaker;
        this.bodies = bodies;
        this.lease = settings.lease();
        this.clock = clock;
        this.scheduler = scheduler;
        this.executor = executor;
        this.signals = signals;
        this.loop = new ClaimLoop(queue, breaker, () -> {
            Live now = live.get();
            return new ClaimLoop.Settings(now.sender().isPresent(), now.ordering(), now.concurrency(),
                    settings.lease(), settings.poll(), settings.owner());
        }, clock, scheduler, executor, this::launch,
                new ClaimLoop.Moves() {
                    @Override
                    public void held(List<String> messageIds) {
                        onHeld(messageIds);
                    }

                    @Override
                    public void released(List<String> messageIds) {
                        onReleased(messageIds);
                    }
                });
        // Only asks the loop for a pass: its writes happen there, never on the thread that moved the circuit.
        breaker.addListener(this::onCircuitChange);
    }

    /**
     * Starts claiming what the store holds; without a webhook, once one is configured (until then messages wait as
     * queued, and nothing is even looked for).
     */
    public void start() {
        started.set(true);
        breaker.keepFresh(scheduler, executor);
        if (live.get().sender().isPresent()) {
            startLoop();
        }
    }

    private void startLoop() {
        if (looping.compareAndSet(false, true)) {
            loop.start();
        }
    }

    /**
     * Makes {@code next} the settings of every attempt from now on; attempts under way finish with theirs. A new
     * endpoint starts with a closed circuit, which releases what the old one's circuit held: the failures it counted
     * were the old endpoint's.
     */
    public void reconfigure(Live next, boolean newEndpoint) {
        live.set(next);
        breaker.reconfigure(next.failureThreshold(), next.circuitOpen());
        if (newEndpoint && next.sender().isPresent()) {
            breaker.reset();
        }
        if (started.get() && next.sender().isPresent()) {
            startLoop();
        }
        loop.nudge();
    }

    public Ordering ordering() {
        return live.get().ordering();
    }

    public void addListener(Consumer<DeliveryEvent> listener) {
        listeners.add(listener);
    }

    /** Tells {@code listener} of every change of the circuit, in order. */
    public void addCircuitListener(Consumer<CircuitBreaker.Snapshot> listener) {
        breaker.addListener(listener);
    }

    /**
     * How a message accepted now is best stored: {@code held} while the circuit lets nothing through, so that it needs
     * no second write to be held, else {@code queued}. Pass the state it was stored in to {@link #accepted}.
     */
    public DeliveryState stateForNewMessage() {
        return live.get().sender().isPresent() && breaker.snapshot().state() != Circuit.State.CLOSED
                ? DeliveryState.HELD : DeliveryState.QUEUED;
    }

    /**
     * A future that completes with the first attempt's outcome of the message about to be accepted with this id (or
     * with held, when the circuit holds it; at once when no webhook is configured). Ask before storing the message,
     * so that no attempt can end unwatched; {@link #unwatch} if it is not stored after all.
     */
    public CompletableFuture<AttemptOutcome> watchFirstAttempt(String messageId) {
        if (live.get().sender().isEmpty()) {
            return CompletableFuture.completedFuture(UNCONFIGURED);
        }
        CompletableFuture<AttemptOutcome> outcome = new CompletableFuture<>();
        lock.lock();
        try {
            watchers.computeIfAbsent(messageId, id -> new ArrayList<>()).add(outcome);
        } finally {
            lock.unlock();
        }
        return outcome;
    }

    public void unwatch(String messageId) {
        lock.lock();
        try {
            watchers.remove(messageId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Announces a message just stored as {@code stored} ({@link #stateForNewMessage}) and asks for a pass; returns at
     * once with its delivery as stored.
     */
    public Delivery accepted(Message message, DeliveryState stored) {
        Delivery delivery = new Delivery(message.id(), stored, 0, null, null, message.createdAt());
        publish(message, delivery);
        if (live.get().sender().isEmpty()) {
            return delivery;
        }
        if (stored == DeliveryState.HELD) {
            tellWatchers(message.id(), new AttemptOutcome(DeliveryState.HELD, null, null, CIRCUIT_OPEN));
            if (breaker.snapshot().state() == Circuit.State.CLOSED) {
                // The circuit closed while it was being stored, perhaps after the release: released with the rest.
                loop.releaseHeld();
            }
        }
        loop.nudge();
        return delivery;
    }

    /**
     * Re-queues a failed or held delivery (a delivered one only with {@code force}); a finished one goes to the back
     * of its conversation. False when not allowed.
     */
    public boolean redeliver(String messageId, boolean force) {
        if (!queue.requeue(messageId, force)) {
            return false;
        }
        LOG.info("delivery.requeued", "🔁 Re-queued " + messageId, "message_id", messageId);
        moved(List.of(messageId), force ? Outcome.FORCE_REQUEUED : Outcome.REQUEUED);
        return true;
    }

    /** Re-queues every failed delivery, oldest first; returns how many. */
    public int redeliverFailed() {
        List<String> ids = queue.requeueAllFailed();
        LOG.info("delivery.requeued_all", "🔁 Re-queued " + ids.size() + " failed deliveries", "count", ids.size());
        moved(ids, Outcome.REQUEUED);
        return ids.size();
    }

    /**
     * Gives up on a delivery that is not being sent or delivered: failed, its reason saying it was skipped, never
     * sent again; the messages behind it in its conversation go on. False when not allowed.
     */
    public boolean skip(String messageId) {
        if (!queue.skip(messageId)) {
            return false;
        }
        LOG.info("delivery.skipped", "⏭️ Skipped " + messageId + " at the operator's request", "message_id",
                messageId);
        moved(List.of(messageId), Outcome.SKIPPED);
        return true;
    }

    /** The operator's reset: closes the circuit at once, which releases every held delivery. */
    public void resetCircuit() {
        breaker.reset();
    }

    public CircuitBreaker.Snapshot circuit() {
        return breaker.snapshot();
    }

    /** Sends a {@code webhook.test} event now, through the circuit like any attempt, and says what happened. */
    public AttemptOutcome sendTestEvent(String eventId) {
        Live now = live.get();
        if (now.sender().isEmpty()) {
            return UNCONFIGURED;
        }
        if (!(breaker.tryAcquire() instanceof CircuitBreaker.Permit.Granted granted)) {
            CircuitBreaker.Snapshot circuit = breaker.snapshot();
            return new AttemptOutcome(DeliveryState.HELD, null, null, circuit.pausedReason() != null
                    ? "delivery is paused until the circuit is reset" : "the circuit is open until "
                    + circuit.retryAt());
        }
        AttemptResult result = now.sender().get().send(eventId, WebhookBody.testEvent(clock.instant(), eventId));
        RetryPolicy.Decision decision = now.policy().decide(result, 0, 0, clock.instant());
        Outcome outcome = Transitions.of(result, decision, now.policy().isRetryable(result));
        String reason = DeliveryAttempt.reasonOf(decision);
        DeliveryAttempt.tellCircuit(breaker, Transitions.afterAttempt(outcome).effects(), granted.probe(), reason);
        return testOutcome(result, decision);
    }

    /**
     * Sends a {@code webhook.test} event to {@code candidate}, an endpoint not in force (the operator tries it before
     * saving it): outside the circuit and the queue, which are the configured endpoint's, and says what happened.
     */
    public AttemptOutcome sendTestEventTo(WebhookSender candidate, String eventId) {
        AttemptResult result = candidate.send(eventId, WebhookBody.testEvent(clock.instant(), eventId));
        return testOutcome(result, live.get().policy().decide(result, 0, 0, clock.instant()));
    }

    private static AttemptOutcome testOutcome(AttemptResult result, RetryPolicy.Decision decision) {
        DeliveryState state = decision instanceof RetryPolicy.Decision.Delivered
                ? DeliveryState.DELIVERED : DeliveryState.FAILED;
        return new AttemptOutcome(state, DeliveryAttempt.statusOf(result), result.duration().toMillis(),
                DeliveryAttempt.reasonOf(decision));
    }

    /** How long one attempt for {@code message} may take: the webhook timeout plus its body's upload allowance. */
    public Duration attemptTimeout(Message message) {
        return live.get().sender().map(webhook -> webhook.timeoutFor(bodies.apply(message).length()))
                .orElse(Duration.ZERO);
    }

    /**
     * Another instance sharing the store changed this message (accepted it, or moved its delivery): the loop looks
     * for work when the change may have made some due and a slot is free; and the message is read from the store only when someone here
     * wants it — told to listeners as a change made here would be when {@code shown} (a page is listening), and to
     * whoever watches its first attempt once that attempt has ended. Every instance hears every change, so an unread
     * hint is most of what the others cost an instance.
     */
    public void changedElsewhere(Signal.MessageChanged change, boolean shown) {
        boolean watched = isWatched(change.messageId());
        if (shown || watched) {
            reads.message(change.messageId()).ifPresent(status -> {
                if (shown) {
                    tell(status.message(), status.delivery());
                }
                if (watched) {
                    firstAttemptOf(status).ifPresent(outcome -> tellWatchers(change.messageId(), outcome));
                }
            });
        }
        // After telling: a pass claiming this message then tells its sending after the change that made it due.
        if (change.newWork()) {
            loop.nudgeIfFree();
        }
    }

    private boolean isWatched(String messageId) {
        lock.lock();
        try {
            return watchers.containsKey(messageId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The backstop of {@link #changedElsewhere}: reads each watched message again and tells its watchers when its
     * first attempt has ended (on another instance, whose hint was missed).
     */
    public void recheckWatched() {
        List<String> watched;
        lock.lock();
        try {
            watched = List.copyOf(watchers.keySet());
        } finally {
            lock.unlock();
        }
        for (String id : watched) {
            reads.message(id).flatMap(this::firstAttemptOf).ifPresent(outcome -> tellWatchers(id, outcome));
        }
    }

    /** Hints of the other instances may have been missed: looks for work, and re-reads what watchers wait for. */
    public void resync() {
        loop.nudge();
        recheckWatched();
    }

    // ---- inside

    /**
     * How a message's first attempt went, read from the store; empty while it has not ended. Read right after that
     * attempt (the usual case, on its hint), it is what the instance that made it told its own watchers; read later,
     * once the delivery moved on, the state is what the attempt itself shows (delivered, else retrying).
     */
    private Optional<AttemptOutcome> firstAttemptOf(MessageStatus status) {
        Delivery delivery = status.delivery();
        if (delivery.attempts() == 0) {
            return delivery.state() == DeliveryState.HELD
                    ? Optional.of(new AttemptOutcome(DeliveryState.HELD, null, null, CIRCUIT_OPEN)) : Optional.empty();
        }
        List<Attempt> attempts = reads.attempts(delivery.messageId());
        if (attempts.isEmpty()) {
            return Optional.empty();
        }
        Attempt first = attempts.getFirst();
        boolean settled = delivery.attempts() == 1 && delivery.state() != DeliveryState.SENDING
                && delivery.state() != DeliveryState.QUEUED;
        if (settled) {
            return Optional.of(new AttemptOutcome(delivery.state(), first.statusCode(), first.durationMillis(),
                    delivery.lastError()));
        }
        return Optional.of(new AttemptOutcome(first.success() ? DeliveryState.DELIVERED : DeliveryState.RETRYING,
                first.statusCode(), first.durationMillis(), first.error()));
    }

    /** The attempt takes the settings in force now and keeps them, whatever changes while it runs. */
    private void launch(Claim claim, boolean probe, Runnable ended) {
        Live now = live.get();
        if (now.sender().isEmpty()) {
            // The webhook was unset since the pass claimed it: given back, and not claimed while none is set.
            queue.reschedule(claim, clock.instant());
            ended.run();
            return;
        }
        DeliveryAttempt.Kit kit = new DeliveryAttempt.Kit(queue, now.sender().get(), breaker, now.policy(), bodies,
                now.maxRetries(), lease, clock, scheduler, this::settled);
        publish(claim.status().message(), claim.status().delivery());
        executor.execute(() -> {
            try {
                new DeliveryAttempt(kit, claim, probe).run();
            } finally {
                ended.run();
            }
        });
    }

    private void settled(Message message, Delivery delivery, AttemptOutcome told) {
        publish(message, delivery);
        if (told != null) {
            tellWatchers(message.id(), told);
        }
    }

    /** A closed circuit releases what it held; an open one has what comes due held, and is probed in time. */
    private void onCircuitChange(CircuitBreaker.Snapshot snapshot) {
        switch (snapshot.state()) {
            case CLOSED -> loop.releaseHeld();
            case OPEN -> loop.nudge();
            case HALF_OPEN -> {
                // the probe is on its way; its outcome moves the circuit again
            }
        }
    }

    private void onHeld(List<String> messageIds) {
        if (!holdingSaid.getAndSet(true)) {
            LOG.info("delivery.held", "⏸ Holding deliveries while the circuit is open; each conversation goes on "
                    + "in order when it closes", "count", messageIds.size());
        }
        for (String id : messageIds) {
            tellWatchers(id, new AttemptOutcome(DeliveryState.HELD, null, null, CIRCUIT_OPEN));
        }
        moved(messageIds, Outcome.HELD_BY_CIRCUIT);
    }

    private void onReleased(List<String> messageIds) {
        holdingSaid.set(false);
        LOG.info("delivery.released", "▶️ Released " + messageIds.size() + " held deliveries", "count",
                messageIds.size());
        moved(messageIds, Outcome.RELEASED);
    }

    /** Tells listeners where deliveries now stand after the store moved them, and lets the loop look again. */
    private void moved(List<String> messageIds, Outcome outcome) {
        messageIds.forEach(this::publish);
        if (Transitions.effectsOf(outcome).contains(Transitions.Effect.ADVANCE)) {
            loop.nudge();
        }
    }

    private void tellWatchers(String messageId, AttemptOutcome outcome) {
        List<CompletableFuture<AttemptOutcome>> waiting;
        lock.lock();
        try {
            waiting = watchers.remove(messageId);
        } finally {
            lock.unlock();
        }
        if (waiting != null) {
            waiting.forEach(future -> future.complete(outcome));
        }
    }

    private void publish(String messageId) {
        reads.message(messageId).ifPresent(status -> publish(status.message(), status.delivery()));
    }

    /** A change made here: told to listeners, and to the other instances. */
    private void publish(Message message, Delivery delivery) {
        tell(message, delivery);
        signals.send(new Signal.MessageChanged(message.id(), message.phone(),
                delivery.state() != DeliveryState.SENDING));
    }

    private void tell(Message message, Delivery delivery) {
        DeliveryEvent event = new DeliveryEvent(message.id(), message.phone(), delivery,
                1 + live.get().maxRetries().applyAsInt(message.kind()));
        for (Consumer<DeliveryEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.error("listener.failed", "💥 A delivery listener failed", e);
            }
        }
    }

    /** Stops claiming and waits up to {@code grace} for attempts in flight; what is unfinished stays in the store. */
    public void close(Duration grace) {
        loop.close(grace);
        breaker.close();
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
