package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.DeliveryQueue;
import relay.store.MessageReads;
import relay.store.StorageException;

/**
 * The delivery engine. Every accepted message is tracked here until it is delivered or failed: the first attempt
 * starts right after the commit, retries wait in a timer queue, and at most {@code concurrency} attempts are in
 * flight, oldest message first. While the circuit is open nothing reaches the endpoint: deliveries that come due
 * are held, one probe goes out when the open window ends, and a closed circuit releases them in order.
 *
 * <p>The outbox is the truth: each state change is written before it is announced, so a restart picks up every
 * unfinished delivery. This class only keeps the schedule, which it rebuilds from the outbox at {@link #start()}.
 */
public final class Dispatcher implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Dispatcher.class);
    /** How long an attempt that failed for a reason of ours (the store) waits before it is tried again. */
    private static final Duration INTERNAL_RETRY = Duration.ofSeconds(5);
    private static final AttemptOutcome UNCONFIGURED =
            new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set");

    private record Job(String messageId, long order, Instant dueAt) {
    }

    private final DeliveryQueue queue;
    private final MessageReads reads;
    private final Optional<WebhookSender> sender;
    private final CircuitBreaker breaker;
    private final RetryPolicy policy;
    private final Function<Message, WebhookBody> bodies;
    private final ToIntFunction<MessageKind> maxRetries;
    private final int concurrency;
    private final InstantSource clock;
    private final Scheduler scheduler;
    private final Executor attempts;
    private final List<Consumer<DeliveryEvent>> listeners = new CopyOnWriteArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    // Everything below is guarded by lock. A tracked message is in exactly one of delayed, due, held or in flight.
    private final PriorityQueue<Job> delayed =
            new PriorityQueue<>(Comparator.comparing(Job::dueAt).thenComparingLong(Job::order));
    private final PriorityQueue<Job> due = new PriorityQueue<>(Comparator.comparingLong(Job::order));
    private final TreeMap<Long, String> held = new TreeMap<>();
    private final Map<String, Long> tracked = new HashMap<>();
    /** Re-queued by the operator while their attempt was still finishing: due again once it has placed them. */
    private final Set<String> requeuedInFlight = new HashSet<>();
    private final Map<String, List<CompletableFuture<AttemptOutcome>>> waiters = new HashMap<>();
    private long nextOrder;
    private int inFlight;
    private Instant probeAt;
    /** Whether the log already said that deliveries are being held; said once until they are released. */
    private boolean holdingSaid;
    /** Only the timer armed last wakes the engine; an earlier one finds itself replaced. */
    private long wakeGeneration;
    private Instant wakeAt;
    private boolean closed;

    /**
     * @param queue      where each delivery's state is written before it is announced
     * @param reads      where an attempt reads its message
     * @param sender     empty when no WEBHOOK_URL is configured: messages then wait as queued
     * @param bodies     builds the request body of a message (inline base64 or signed URL)
     * @param scheduler  wakes the engine when a retry or a probe comes due
     * @param attempts   runs each attempt; a virtual thread per task in production
     */
    public Dispatcher(DeliveryQueue queue, MessageReads reads, Optional<WebhookSender> sender, CircuitBreaker breaker,
                      RetryPolicy policy, Function<Message, WebhookBody> bodies, ToIntFunction<MessageKind> maxRetries,
                      int concurrency, InstantSource clock, Scheduler scheduler, Executor attempts) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1");
        }
        this.queue = queue;
        this.reads = reads;
        this.sender = sender;
        this.breaker = breaker;
        this.policy = policy;
        this.bodies = bodies;
        this.maxRetries = maxRetries;
        this.concurrency = concurrency;
        this.clock = clock;
        this.scheduler = scheduler;
        this.attempts = attempts;
        breaker.addListener(this::onCircuitChange);
    }

    /** Reschedules every unfinished delivery from the outbox, oldest first, then starts sending. */
    public void start() {
        List<Delivery> unfinished = queue.unfinished();
        Instant now = clock.instant();
        lock.lock();
        try {
            for (Delivery delivery : unfinished) {
                Instant at = delivery.state() == DeliveryState.RETRYING && delivery.nextAttemptAt() != null
                        ? delivery.nextAttemptAt() : now;
                track(delivery.messageId(), at);
            }
        } finally {
            lock.unlock();
        }
        if (!unfinished.isEmpty()) {
            LOG.info("dispatcher.recovered", "♻️ Rescheduled " + unfinished.size() + " unfinished deliveries",
                    "count", unfinished.size());
        }
        pump();
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
     * no second write to be held, else {@code queued}. Pass the state it was stored in to {@link #submit}.
     */
    public DeliveryState stateForNewMessage() {
        return sender.isPresent() && breaker.snapshot().state() != CircuitBreaker.State.CLOSED
                ? DeliveryState.HELD : DeliveryState.QUEUED;
    }

    /**
     * Announces a just-accepted message stored as {@code stored} ({@link #stateForNewMessage}), and starts its
     * immediate attempt or holds it; returns at once with where its delivery stands.
     */
    public Delivery submit(Message message, DeliveryState stored) {
        DeliveryState state = stored == DeliveryState.HELD && !holdNew(message.id()) ? queueAfterAll(message.id())
                : stored;
        Delivery delivery = new Delivery(message.id(), state, 0, null, null, message.createdAt());
        publish(message, delivery);
        if (state == DeliveryState.HELD) {
            completeWaiters(message.id(), new AttemptOutcome(DeliveryState.HELD, null, null, "the circuit is open"));
        } else {
            enqueueNow(message.id());
            pump();
        }
        return delivery;
    }

    /**
     * Like {@link #submit(Message, DeliveryState)}, with a future that completes when the message's first attempt
     * ends (or it is held), or at once when no webhook is configured, since no attempt will come.
     */
    public Watched submitAndWatch(Message message, DeliveryState stored) {
        if (sender.isEmpty()) {
            return new Watched(submit(message, stored), CompletableFuture.completedFuture(UNCONFIGURED));
        }
        CompletableFuture<AttemptOutcome> outcome = new CompletableFuture<>();
        lock.lock();
        try {
            waiters.computeIfAbsent(message.id(), id -> new ArrayList<>()).add(outcome);
        } finally {
            lock.unlock();
        }
        return new Watched(submit(message, stored), outcome);
    }

    /** A submitted message's delivery, and its first attempt's outcome to come. */
    public record Watched(Delivery delivery, CompletableFuture<AttemptOutcome> firstAttempt) {
    }

    /**
     * Holds a message stored as held, unless the circuit closed since it was stored. Decided under the lock, so a
     * close either comes before (seen here) or releases it with the rest (its listener waits for the lock).
     */
    private boolean holdNew(String messageId) {
        lock.lock();
        try {
            if (breaker.snapshot().state() == CircuitBreaker.State.CLOSED) {
                return false;
            }
            long order = nextOrder++;
            tracked.put(messageId, order);
            held.put(order, messageId);
            // The circuit's listener keeps probeAt; with something held now, the probe needs its timer.
            scheduleWake(clock.instant());
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The circuit closed between storing a message as held and submitting it: it goes in line like any other. */
    private DeliveryState queueAfterAll(String messageId) {
        queue.markQueued(List.of(messageId));
        return DeliveryState.QUEUED;
    }

    /** Re-queues a failed or held delivery (a delivered one only with {@code force}); false when not allowed. */
    public boolean redeliver(String messageId, boolean force) {
        if (!queue.requeue(messageId, force)) {
            return false;
        }
        LOG.info("delivery.requeued", "🔁 Re-queued " + messageId, "message_id", messageId);
        enqueueNow(messageId);
        pump();
        publish(messageId);
        return true;
    }

    /** Re-queues every failed delivery, oldest first; returns how many. */
    public int redeliverFailed() {
        List<String> ids = queue.requeueAllFailed();
        ids.forEach(this::enqueueNow);
        LOG.info("delivery.requeued_all", "🔁 Re-queued " + ids.size() + " failed deliveries", "count", ids.size());
        pump();
        ids.forEach(this::publish);
        return ids.size();
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
        if (sender.isEmpty()) {
            return UNCONFIGURED;
        }
        if (breaker.tryAcquire() instanceof CircuitBreaker.Permit.Rejected rejected) {
            return new AttemptOutcome(DeliveryState.HELD, null, null, circuitOpenReason(rejected));
        }
        AttemptResult result = sender.get().send(eventId, WebhookBody.testEvent(clock.instant(), eventId));
        RetryPolicy.Decision decision = policy.decide(result, 0, 0, clock.instant());
        reportToBreaker(result, decision, eventId, 1);
        if (decision instanceof RetryPolicy.Decision.Gone gone) {
            // As for a message: a gone endpoint pauses delivery, and a test event sent as the probe must settle it.
            breaker.pause(gone.reason());
        }
        DeliveryState state = decision instanceof RetryPolicy.Decision.Delivered
                ? DeliveryState.DELIVERED : DeliveryState.FAILED;
        return new AttemptOutcome(state, statusOf(result), result.duration().toMillis(), reasonOf(decision));
    }

    /** How long one attempt for {@code message} may take: the webhook timeout plus its body's upload allowance. */
    public Duration attemptTimeout(Message message) {
        return sender.map(webhook -> webhook.timeoutFor(bodies.apply(message).length())).orElse(Duration.ZERO);
    }

    private void wakeUpIfLatest(long generation) {
        lock.lock();
        try {
            if (closed || generation != wakeGeneration) {
                return;
            }
        } finally {
            lock.unlock();
        }
        wakeUp();
    }

    /** Checks what came due (after the clock moved) without waiting for the timer. */
    public void wakeUp() {
        lock.lock();
        try {
            wakeAt = null;
            Instant now = clock.instant();
            if (probeAt != null && !now.isBefore(probeAt) && !held.isEmpty()) {
                // One held delivery goes out as the half-open probe; the rest wait for its answer.
                Map.Entry<Long, String> oldest = held.pollFirstEntry();
                due.add(new Job(oldest.getValue(), oldest.getKey(), now));
                probeAt = null;
            }
        } finally {
            lock.unlock();
        }
        pump();
    }

    private void enqueueNow(String messageId) {
        lock.lock();
        try {
            Long order = tracked.get(messageId);
            if (order == null) {
                track(messageId, clock.instant());
            } else if (held.remove(order) != null || delayed.removeIf(job -> job.messageId().equals(messageId))) {
                due.add(new Job(messageId, order, clock.instant()));
            } else if (due.stream().noneMatch(job -> job.messageId().equals(messageId))) {
                // The attempt that failed it has written its outcome but not yet let go of it.
                requeuedInFlight.add(messageId);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds the lock. True when the message was re-queued meanwhile and has now been made due instead. */
    private boolean dueAgainIfRequeued(String messageId, long order) {
        if (!requeuedInFlight.remove(messageId)) {
            return false;
        }
        due.add(new Job(messageId, order, clock.instant()));
        return true;
    }

    /** Caller holds the lock. */
    private void track(String messageId, Instant dueAt) {
        if (tracked.containsKey(messageId)) {
            return;
        }
        long order = nextOrder++;
        tracked.put(messageId, order);
        delayed.add(new Job(messageId, order, dueAt));
    }

    /** A job let through by the circuit; {@code probe} when it is the one attempt that tests a half-open circuit. */
    private record Launch(Job job, boolean probe) {
    }

    /** Starts as many due attempts as the concurrency bound and the circuit allow. */
    private void pump() {
        List<Launch> launches = new ArrayList<>();
        List<String> toHold = new ArrayList<>();
        lock.lock();
        try {
            if (closed || sender.isEmpty()) {
                return;
            }
            Instant now = clock.instant();
            while (!delayed.isEmpty() && !delayed.peek().dueAt().isAfter(now)) {
                due.add(delayed.poll());
            }
            while (inFlight < concurrency && !due.isEmpty()) {
                switch (breaker.tryAcquire()) {
                    case CircuitBreaker.Permit.Granted granted -> {
                        inFlight++;
                        launches.add(new Launch(due.poll(), granted.probe()));
                    }
                    case CircuitBreaker.Permit.Rejected rejected -> {
                        // Asking can tell this thread of a close made meanwhile, which released what was held
                        // into due: holding it again would strand it behind a closed circuit. Ask once more.
                        if (breaker.snapshot().state() != CircuitBreaker.State.CLOSED) {
                            holdAllDue(toHold, rejected.retryAt(), now);
                        }
                    }
                }
            }
            scheduleWake(now);
        } finally {
            lock.unlock();
        }
        if (!toHold.isEmpty()) {
            attempts.execute(() -> hold(toHold));
        }
        for (Launch launch : launches) {
            attempts.execute(() -> attempt(launch));
        }
    }

    /** Caller holds the lock. Deliveries due while the circuit is open wait without spending a retry. */
    private void holdAllDue(List<String> toHold, Instant retryAt, Instant now) {
        while (!due.isEmpty()) {
            Job job = due.poll();
            held.put(job.order(), job.messageId());
            toHold.add(job.messageId());
        }
        // A retry time already past means a probe is out (half-open): its answer decides, not a timer.
        if (retryAt != null && retryAt.isAfter(now)) {
            probeAt = retryAt;
        }
    }

    /** Caller holds the lock. One timer for the earliest of: the next retry, the next probe. */
    private void scheduleWake(Instant now) {
        if (closed) {
            // An attempt finishing after close may still move the circuit; the scheduler is gone by then.
            return;
        }
        Instant next = delayed.isEmpty() ? null : delayed.peek().dueAt();
        if (probeAt != null && !held.isEmpty() && (next == null || probeAt.isBefore(next))) {
            next = probeAt;
        }
        if (next == null || (wakeAt != null && !next.isBefore(wakeAt))) {
            return;
        }
        wakeAt = next;
        long delayMillis = Math.max(0, Duration.between(now, next).toMillis());
        long generation = ++wakeGeneration;
        if (delayMillis == 0) {
            attempts.execute(() -> wakeUpIfLatest(generation));
        } else {
            scheduler.schedule(() -> wakeUpIfLatest(generation), Duration.ofMillis(delayMillis));
        }
    }

    private void hold(List<String> messageIds) {
        try {
            queue.markHeld(messageIds);
        } catch (StorageException e) {
            // Logged once by the store; the deliveries are held here all the same, and stored as held on restart.
        } catch (RuntimeException e) {
            LOG.error("delivery.hold_failed", "💥 Could not record held deliveries", e);
        }
        if (firstHoldSinceRelease()) {
            LOG.info("delivery.held", "⏸ Holding deliveries while the circuit is open; they go out oldest first when "
                    + "it closes", "count", messageIds.size());
        }
        for (String id : messageIds) {
            publish(id);
            completeWaiters(id, new AttemptOutcome(DeliveryState.HELD, null, null, "the circuit is open"));
        }
    }

    private boolean firstHoldSinceRelease() {
        lock.lock();
        try {
            boolean first = !holdingSaid;
            holdingSaid = true;
            return first;
        } finally {
            lock.unlock();
        }
    }

    private void attempt(Launch launch) {
        Job job = launch.job();
        boolean reachedWebhook = false;
        try {
            Optional<MessageStatus> found = reads.message(job.messageId());
            if (found.isEmpty() || found.get().delivery().state().isFinal()) {
                untrack(job.messageId());
                return;
            }
            Message message = found.get().message();
            int number = found.get().delivery().attempts() + 1;
            AttemptResult result = post(message, number);
            reachedWebhook = !(result instanceof AttemptResult.AttachmentUnavailable);
            conclude(job, message, number, result);
        } catch (StorageException e) {
            // The store has logged its incident once; a line per attempt would repeat it every few seconds.
            reschedule(job, clock.instant().plus(INTERNAL_RETRY));
        } catch (RuntimeException e) {
            LOG.error("delivery.internal_error", "💥 Attempt for " + job.messageId() + " failed inside the service; "
                    + "trying again in " + INTERNAL_RETRY.toSeconds() + "s", e, "message_id", job.messageId());
            reschedule(job, clock.instant().plus(INTERNAL_RETRY));
        } finally {
            if (launch.probe() && !reachedWebhook) {
                // A probe that never reached the webhook has no outcome to report: hand the probe on.
                breaker.cancelProbe();
            }
            finishAttempt();
        }
    }

    /** Marks the delivery as sending and makes the attempt; the webhook's trouble comes back as a result. */
    private AttemptResult post(Message message, int number) {
        queue.markSending(message.id());
        publish(message, new Delivery(message.id(), DeliveryState.SENDING, number - 1, null, null, clock.instant()));
        WebhookBody body = bodies.apply(message);
        WebhookSender webhook = sender.orElseThrow();
        logSending(message, number, body, webhook);
        return webhook.send(message.id(), body);
    }

    /** Decides what follows the attempt, tells the circuit, records it, then tells listeners and waiters. */
    private void conclude(Job job, Message message, int number, AttemptResult result) {
        int allowed = maxRetries.applyAsInt(message.kind());
        RetryPolicy.Decision decision = policy.decide(result, number - 1, allowed, clock.instant());
        reportToBreaker(result, decision, message.id(), number);
        Attempt attempt = new Attempt(message.id(), number, result.startedAt(), result.duration().toMillis(),
                statusOf(result), errorOf(result), snippetOf(result));
        Delivery after = record(job, attempt, decision);
        if (result instanceof AttemptResult.AttachmentUnavailable) {
            logUnavailable(message, number, allowed, decision);
        } else {
            logOutcome(message, number, allowed, decision);
        }
        publish(message, after);
        completeWaiters(message.id(), new AttemptOutcome(after.state(), attempt.statusCode(), attempt.durationMillis(),
                after.lastError()));
    }

    /** Writes the attempt and the state it leads to, then updates the schedule to match. */
    private Delivery record(Job job, Attempt attempt, RetryPolicy.Decision decision) {
        String id = attempt.messageId();
        Instant now = clock.instant();
        return switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> {
                queue.recordAttempt(attempt, DeliveryState.DELIVERED, null, null);
                untrack(id);
                yield new Delivery(id, DeliveryState.DELIVERED, attempt.number(), null, null, now);
            }
            case RetryPolicy.Decision.Retry retry -> {
                queue.recordAttempt(attempt, DeliveryState.RETRYING, retry.at(), retry.reason());
                reschedule(job, retry.at());
                yield new Delivery(id, DeliveryState.RETRYING, attempt.number(), retry.at(), retry.reason(), now);
            }
            case RetryPolicy.Decision.Failed failed -> {
                queue.recordAttempt(attempt, DeliveryState.FAILED, null, failed.reason());
                untrack(id);
                yield new Delivery(id, DeliveryState.FAILED, attempt.number(), null, failed.reason(), now);
            }
            case RetryPolicy.Decision.Gone gone -> {
                queue.recordAttempt(attempt, DeliveryState.HELD, null, gone.reason());
                holdOne(job);
                breaker.pause(gone.reason());
                yield new Delivery(id, DeliveryState.HELD, attempt.number(), null, gone.reason(), now);
            }
        };
    }

    /**
     * An endpoint that answers at all is healthy for the circuit; only what would be retried counts against it. An
     * attachment that could not be read never reached it, so it counts neither way.
     */
    private void reportToBreaker(AttemptResult result, RetryPolicy.Decision decision, String messageId, int number) {
        if (result instanceof AttemptResult.AttachmentUnavailable) {
            return;
        }
        switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> breaker.onSuccess();
            case RetryPolicy.Decision.Gone gone -> {
                // pause() follows once the attempt is recorded
            }
            case RetryPolicy.Decision.Retry retry -> breaker.onFailure(failureOf(result, messageId, number));
            case RetryPolicy.Decision.Failed failed -> {
                if (policy.isRetryable(result)) {
                    breaker.onFailure(failureOf(result, messageId, number));
                } else {
                    breaker.onSuccess();
                }
            }
        }
    }

    private CircuitBreaker.Failure failureOf(AttemptResult result, String messageId, int number) {
        return new CircuitBreaker.Failure(clock.instant(), messageId, number, statusOf(result), errorOf(result));
    }

    private void reschedule(Job job, Instant at) {
        lock.lock();
        try {
            if (!dueAgainIfRequeued(job.messageId(), job.order())) {
                delayed.add(new Job(job.messageId(), job.order(), at));
            }
        } finally {
            lock.unlock();
        }
    }

    private void holdOne(Job job) {
        lock.lock();
        try {
            if (!dueAgainIfRequeued(job.messageId(), job.order())) {
                held.put(job.order(), job.messageId());
            }
        } finally {
            lock.unlock();
        }
    }

    private void untrack(String messageId) {
        lock.lock();
        try {
            Long order = tracked.get(messageId);
            if (order == null || !dueAgainIfRequeued(messageId, order)) {
                tracked.remove(messageId);
            }
        } finally {
            lock.unlock();
        }
    }

    private void finishAttempt() {
        lock.lock();
        try {
            inFlight--;
            if (inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
        pump();
    }

    /** A closed circuit releases what it held, oldest first; an open one is probed when its window ends. */
    private void onCircuitChange(CircuitBreaker.Snapshot snapshot) {
        switch (snapshot.state()) {
            case CLOSED -> releaseHeld();
            case OPEN -> {
                lock.lock();
                try {
                    probeAt = snapshot.retryAt();
                    scheduleWake(clock.instant());
                } finally {
                    lock.unlock();
                }
            }
            case HALF_OPEN -> {
                // the probe is already on its way
            }
        }
    }

    private void releaseHeld() {
        List<String> released;
        lock.lock();
        try {
            if (held.isEmpty()) {
                return;
            }
            released = new ArrayList<>(held.values());
        } finally {
            lock.unlock();
        }
        queue.markQueued(released);
        lock.lock();
        try {
            Instant now = clock.instant();
            for (String id : released) {
                Long order = tracked.get(id);
                if (order != null && held.remove(order) != null) {
                    due.add(new Job(id, order, now));
                }
            }
            probeAt = null;
            holdingSaid = false;
        } finally {
            lock.unlock();
        }
        LOG.info("delivery.released", "▶️ Released " + released.size() + " held deliveries", "count", released.size());
        pump();
        released.forEach(this::publish);
    }

    private void completeWaiters(String messageId, AttemptOutcome outcome) {
        List<CompletableFuture<AttemptOutcome>> waiting;
        lock.lock();
        try {
            waiting = waiters.remove(messageId);
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

    private void publish(Message message, Delivery delivery) {
        DeliveryEvent event = new DeliveryEvent(message.id(), message.phone(), delivery,
                1 + maxRetries.applyAsInt(message.kind()));
        for (Consumer<DeliveryEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.error("listener.failed", "💥 A delivery listener failed", e);
            }
        }
    }

    private static void logSending(Message message, int number, WebhookBody body, WebhookSender webhook) {
        LOG.info("webhook.sending", "🚀 Sending message webhook for " + message.phone()
                        + (number > 1 ? " (attempt " + number + ")" : "") + ", timeout "
                        + webhook.timeoutFor(body.length()).toSeconds() + "s",
                "message_id", message.id(), "phone", message.phone(), "attempt", number,
                "timeout_seconds", webhook.timeoutFor(body.length()).toSeconds());
        if (message.attachment() != null) {
            LOG.info("webhook.attachment", "📎 Attachment: " + message.attachment().kind().wireName() + " ("
                            + message.attachment().size() + " bytes)",
                    "message_id", message.id(), "kind", message.attachment().kind().wireName(),
                    "size", message.attachment().size());
        }
    }

    /** Said as the store's trouble, not the webhook's, and without the file's path. */
    private static void logUnavailable(Message message, int number, int allowed, RetryPolicy.Decision decision) {
        String id = message.id();
        // RetryPolicy answers such an attempt with a retry, or a failure once no retry is left.
        String next = decision instanceof RetryPolicy.Decision.Retry retry
                ? "retry " + number + " of " + allowed + " at " + retry.at() : "no retries left, failed";
        LOG.warn("delivery.attachment_unavailable", "📎 Attempt " + number + " for " + id + " could not read its "
                + "attachment (storage error); " + next, "message_id", id, "attempt", number);
    }

    private static void logOutcome(Message message, int number, int allowed, RetryPolicy.Decision decision) {
        String id = message.id();
        switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> LOG.info("webhook.delivered", number == 1
                    ? "✅ Webhook sent immediately" : "✅ Webhook delivered on attempt " + number,
                    "message_id", id, "attempt", number);
            case RetryPolicy.Decision.Retry retry -> LOG.warn("webhook.retrying", "↻ Webhook attempt " + number
                    + " failed (" + retry.reason() + "); retry " + number + " of " + allowed + " at " + retry.at(),
                    "message_id", id, "attempt", number, "next_attempt_at", retry.at());
            case RetryPolicy.Decision.Failed failed -> LOG.warn("webhook.failed", "❌ Webhook failed for " + id
                    + ": " + failed.reason(), "message_id", id, "attempt", number, "reason", failed.reason());
            case RetryPolicy.Decision.Gone gone -> LOG.warn("webhook.gone", "⛔ " + gone.reason()
                    + ": delivery paused until the circuit is reset", "message_id", id);
        }
    }

    private static Integer statusOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.statusCode();
            case AttemptResult.Failure failure -> null;
            case AttemptResult.AttachmentUnavailable unavailable -> null;
        };
    }

    private static String errorOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.statusCode() / 100 == 2
                    ? null : "HTTP " + response.statusCode();
            case AttemptResult.Failure failure -> failure.error();
            case AttemptResult.AttachmentUnavailable unavailable -> unavailable.error();
        };
    }

    private static String snippetOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.bodySnippet();
            case AttemptResult.Failure failure -> null;
            case AttemptResult.AttachmentUnavailable unavailable -> null;
        };
    }

    private static String reasonOf(RetryPolicy.Decision decision) {
        return switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> null;
            case RetryPolicy.Decision.Retry retry -> retry.reason();
            case RetryPolicy.Decision.Failed failed -> failed.reason();
            case RetryPolicy.Decision.Gone gone -> gone.reason();
        };
    }

    private static String circuitOpenReason(CircuitBreaker.Permit.Rejected rejected) {
        return rejected.retryAt() == null ? "delivery is paused until the circuit is reset"
                : "the circuit is open until " + rejected.retryAt();
    }

    /** Stops scheduling and waits up to {@code grace} for attempts in flight; what is unfinished stays in the outbox. */
    public void close(Duration grace) {
        lock.lock();
        try {
            closed = true;
            long nanos = grace.toNanos();
            while (inFlight > 0 && nanos > 0) {
                nanos = idle.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
