package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import relay.domain.Circuit;
import relay.domain.Circuit.State;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.CircuitStore;

/**
 * Stops hammering a webhook that keeps failing: after {@code failureThreshold} consecutive failures the circuit opens
 * for {@code openDuration}, then lets exactly one probe through; the probe's outcome closes it or opens a fresh window.
 * A 410 Gone pauses delivery until an operator resets the circuit. The moves themselves are {@link Circuit}'s.
 *
 * <p>The circuit lives in a {@link CircuitStore}: in memory for one process, or in a row every instance sharing the
 * database moves, so that they share one circuit. This breaker keeps a copy, which it answers from and tells its
 * listeners about: every move it makes goes to the store and the result becomes the copy; the moves of other
 * instances arrive by {@link #refresh()}, which {@link #keepFresh} runs every {@link #REFRESH} on a shared store.
 * On a shared store a move that would leave the copy as it is (a success while closed with nothing counted; asking
 * to send while closed, or while the window runs) is not written: a cluster's attempts do not write the row each.
 * When the store cannot be reached the breaker goes by its copy and never throws: the moves it makes meanwhile are
 * lost, and the copy is brought up to date when the store answers again.
 */
public final class CircuitBreaker {
    private static final EventLog LOG = EventLog.of(CircuitBreaker.class);
    /**
     * How often a shared circuit is read again: a move made by another instance is seen here after at most this plus
     * one read — well within the second the cluster promises — even when no notification arrives.
     */
    static final Duration REFRESH = Duration.ofMillis(250);

    /**
     * The breaker at one moment, as this instance shows it: the circuit, with this instance's limits.
     *
     * @param openedAt     when the circuit last opened; null when closed
     * @param retryAt      when the open window ends; null when closed or paused
     * @param pausedReason why delivery is paused; null unless {@link #pause} was called since the last reset
     */
    public record Snapshot(State state, int consecutiveFailures, int failureThreshold, Duration openDuration,
                           Instant openedAt, Instant retryAt, String pausedReason) {
        /** The same but for the count, which alone is not worth telling listeners about. */
        private boolean sameButForCount(Snapshot other) {
            return other != null && state == other.state && failureThreshold == other.failureThreshold
                    && openDuration.equals(other.openDuration) && Objects.equals(openedAt, other.openedAt)
                    && Objects.equals(retryAt, other.retryAt) && Objects.equals(pausedReason, other.pausedReason);
        }
    }

    /** The answer to {@link #tryAcquire()}. */
    public sealed interface Permit {
        /** Send now; {@code probe} is true for the single attempt that tests a half-open circuit. */
        record Granted(boolean probe) implements Permit {
        }

        /**
         * Do not send. {@code retryAt} is when the open window ends (already past while a probe is out: wait for its
         * outcome), or null while paused.
         */
        record Rejected(Instant retryAt) implements Permit {
        }
    }

    private final CircuitStore store;
    private final String instance;
    private final Duration probeLease;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    /** Changes not yet told to listeners; added under {@link #lock}, so in the order they happened. */
    private final Queue<Told> untold = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean telling = new AtomicBoolean();
    /** Whether the store failed and has not answered since: said once in the log, and once when it answers. */
    private final AtomicBoolean unanswered = new AtomicBoolean();
    private volatile boolean closed;

    // Guarded by lock.
    private Circuit.Limits limits;
    private Circuit copy;
    /** What listeners were last told (or would have been, at the start). */
    private Snapshot shown;

    /** A snapshot to tell listeners, with the move of the circuit behind it ({@code was} = {@code now}: none). */
    private record Told(Snapshot snapshot, Circuit was, Circuit now) {
    }

    /** The breaker of one process, its circuit in memory. */
    public CircuitBreaker(int failureThreshold, Duration openDuration, InstantSource clock) {
        this(CircuitStore.inMemory(), "this process", failureThreshold, openDuration, Duration.ZERO, clock);
    }

    /**
     * @param instance   names this instance as the holder of the probe it takes
     * @param probeLease on a shared store, how long a probe is this instance's unless renewed ({@link #renewProbe}):
     *                   after it, another instance may take the probe over, as its holder may have died. Unused on a
     *                   store of one process, whose probe always reports back
     */
    public CircuitBreaker(CircuitStore store, String instance, int failureThreshold, Duration openDuration,
                          Duration probeLease, InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.instance = Objects.requireNonNull(instance, "instance");
        this.probeLease = Objects.requireNonNull(probeLease, "probeLease");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = new Circuit.Limits(failureThreshold, openDuration);
        this.copy = readOr(Circuit.INITIAL);
        this.shown = snapshotLocked();
    }

    /**
     * Takes a new threshold and open window for what follows (the operator changed them while the service runs),
     * keeping the state as it is and its numbers sensible (see {@link Circuit#reconfigured}). On a shared circuit the
     * limits are this instance's: the failures it reports open the circuit by its threshold and for its window, and
     * applying new limits rewrites the shared open window by them (every instance applies a change of configuration,
     * so they agree again within moments).
     */
    public void reconfigure(int failureThreshold, Duration openDuration) {
        Circuit.Limits next = new Circuit.Limits(failureThreshold, openDuration);
        lock.lock();
        try {
            if (next.equals(limits)) {
                return;
            }
            limits = next;
        } finally {
            lock.unlock();
        }
        move(circuit -> circuit.reconfigured(next), false);
        lock.lock();
        try {
            tellIfShownChanged(copy, copy);
        } finally {
            unlockAndTell();
        }
    }

    /**
     * Asks to send one attempt. When the open window has ended the first caller — of all instances sharing the
     * circuit — gets the probe and the circuit turns half-open; everyone else is rejected until the probe reports
     * through {@link #onSuccess} or {@link #onFailure}, or its holder lets its lease run out.
     */
    public Permit tryAcquire() {
        Instant now = clock.instant();
        Instant until = store.shared() ? now.plus(probeLease) : null;
        CircuitStore.Change change = move(circuit -> circuit.acquire(now, instance, until), false);
        Circuit after = change.after();
        if (after.state() == State.CLOSED) {
            return new Permit.Granted(false);
        }
        // Asking changes the circuit exactly when it hands this caller the probe.
        return change.changed() ? new Permit.Granted(true) : new Permit.Rejected(after.retryAt());
    }

    public void onSuccess() {
        move(Circuit::succeeded, false);
    }

    public void onFailure() {
        Instant now = clock.instant();
        Circuit.Limits current = limits();
        move(circuit -> circuit.failed(now, current), false);
    }

    /**
     * The probe granted by {@link #tryAcquire()} was never sent (the attempt failed inside the service, before the
     * webhook): the circuit goes back to open with its window already over, so that the next caller probes instead
     * of everyone waiting for an outcome that will not come.
     */
    public void cancelProbe() {
        move(circuit -> circuit.probeCancelled(instance), false);
    }

    /**
     * The probe this instance holds is still under way (a large body uploading): on a shared circuit, its lease
     * starts again, so that no other instance takes it over.
     */
    public void renewProbe() {
        if (store.shared()) {
            Instant until = clock.instant().plus(probeLease);
            move(circuit -> circuit.probeRenewed(instance, until), false);
        }
    }

    /** Holds all delivery, without probes, until {@link #reset()}: the webhook said it is gone for good. */
    public void pause(String reason) {
        Objects.requireNonNull(reason, "reason");
        Instant now = clock.instant();
        move(circuit -> circuit.paused(now, reason), true);
    }

    /** Closes the circuit at once, ending any pause. */
    public void reset() {
        move(Circuit::reset, true);
    }

    public Snapshot snapshot() {
        lock.lock();
        try {
            return snapshotLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Tells {@code listener} of every state change from now on, in order, never while the breaker's lock is held. */
    public void addListener(Consumer<Snapshot> listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /**
     * Reads the circuit from the store and takes it as the copy when it is newer: the moves of other instances sharing
     * it. Never throws; a store that does not answer leaves the copy as it is.
     */
    public void refresh() {
        Circuit seen;
        try {
            seen = store.read();
        } catch (RuntimeException e) {
            unanswered();
            return;
        }
        answered();
        adopt(seen);
    }

    /**
     * On a shared store, refreshes every {@link #REFRESH} until {@link #close()}, each read on {@code executor} (it may
     * wait for the database, and must not hold up the timer's other work). Nothing to do on a store of one process.
     */
    void keepFresh(Scheduler scheduler, Executor executor) {
        if (store.shared()) {
            refreshLater(scheduler, executor);
        }
    }

    private void refreshLater(Scheduler scheduler, Executor executor) {
        scheduler.schedule(() -> {
            try {
                executor.execute(() -> {
                    if (!closed) {
                        refresh();
                        refreshLater(scheduler, executor);
                    }
                });
            } catch (RejectedExecutionException e) {
                // shut down: the service is stopping
            }
        }, REFRESH);
    }

    /** Stops refreshing; the store is about to close. */
    void close() {
        closed = true;
    }

    // ---- inside

    private Circuit.Limits limits() {
        lock.lock();
        try {
            return limits;
        } finally {
            lock.unlock();
        }
    }

    private Circuit copy() {
        lock.lock();
        try {
            return copy;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the stored circuit by {@code step} and takes the result as the copy. On a shared store, a step that leaves
     * the copy as it is is not written unless {@code evenIfCopyStays} (an operator's reset must reach the row even when
     * this copy is behind it). When the store fails, nothing moves.
     */
    private CircuitStore.Change move(UnaryOperator<Circuit> step, boolean evenIfCopyStays) {
        Circuit known = copy();
        if (store.shared() && !evenIfCopyStays && step.apply(known).equals(known)) {
            return new CircuitStore.Change(known, known);
        }
        CircuitStore.Change change;
        try {
            change = store.update(step);
        } catch (RuntimeException e) {
            unanswered();
            return new CircuitStore.Change(known, known);
        }
        answered();
        adopt(change.after());
        return change;
    }

    private Circuit readOr(Circuit fallback) {
        try {
            return store.read();
        } catch (RuntimeException e) {
            unanswered();
            return fallback;
        }
    }

    /** Takes {@code seen} as the copy when it is newer than the copy, and tells listeners what they would see. */
    private void adopt(Circuit seen) {
        lock.lock();
        try {
            if (seen.version() > copy.version()) {
                Circuit was = copy;
                copy = seen;
                tellIfShownChanged(was, seen);
            }
        } finally {
            unlockAndTell();
        }
    }

    /** Called with the lock held: a change but for the count is told, in order. */
    private void tellIfShownChanged(Circuit was, Circuit now) {
        Snapshot snapshot = snapshotLocked();
        if (!snapshot.sameButForCount(shown)) {
            shown = snapshot;
            untold.add(new Told(snapshot, was, now));
        }
    }

    private Snapshot snapshotLocked() {
        return new Snapshot(copy.state(), copy.consecutiveFailures(), limits.failureThreshold(),
                limits.openDuration(), copy.openedAt(), copy.retryAt(), copy.pausedReason());
    }

    private void unanswered() {
        if (!closed && unanswered.compareAndSet(false, true)) {
            LOG.warn("circuit.unshared", "⚠️ The circuit shared with the other instances cannot be read or written: "
                    + "this instance goes by its last copy of it until the database answers", "instance", instance);
        }
    }

    private void answered() {
        if (unanswered.compareAndSet(true, false)) {
            LOG.info("circuit.shared_again", "✅ The shared circuit answers again", "instance", instance);
        }
    }

    /**
     * Releases the lock, then logs and tells listeners of the changes made meanwhile. Only one thread tells at a time
     * so listeners see changes in order; a change made while another thread tells is picked up by that thread.
     */
    private void unlockAndTell() {
        lock.unlock();
        while (!untold.isEmpty() && telling.compareAndSet(false, true)) {
            try {
                Told told;
                while ((told = untold.poll()) != null) {
                    tell(told);
                }
            } finally {
                telling.set(false);
            }
        }
    }

    private void tell(Told told) {
        logMove(told.was(), told.now(), told.snapshot());
        for (Consumer<Snapshot> listener : listeners) {
            try {
                listener.accept(told.snapshot());
            } catch (RuntimeException e) {
                LOG.error("circuit.listener_failed", "⚠️ A circuit listener failed", e);
            }
        }
    }

    /** One line per move of the circuit, whichever instance made it; new limits or a new window are not moves. */
    private static void logMove(Circuit was, Circuit now, Snapshot s) {
        boolean takenOver = was.state() == State.HALF_OPEN && now.state() == State.HALF_OPEN
                && !Objects.equals(was.probeHolder(), now.probeHolder());
        if (takenOver) {
            LOG.warn("circuit.probe_taken_over", "🟡 The circuit's probe held by " + was.probeHolder() + " was not "
                    + "heard of in time; " + now.probeHolder() + " probes instead",
                    "was", was.probeHolder(), "holder", now.probeHolder());
            return;
        }
        if (was.state() == now.state() && Objects.equals(was.pausedReason(), now.pausedReason())) {
            return;
        }
        switch (s.state()) {
            case CLOSED -> LOG.info("circuit.closed", "🟢 Circuit closed");
            case HALF_OPEN -> LOG.info("circuit.half_open", "🟡 Circuit half-open: sending one probe");
            case OPEN -> {
                if (s.pausedReason() != null) {
                    LOG.warn("circuit.paused", "⛔ Delivery paused: " + s.pausedReason(), "reason", s.pausedReason());
                } else {
                    // The window as it was opened, perhaps by another instance going by its own limits.
                    long seconds = Duration.between(s.openedAt(), s.retryAt()).toSeconds();
                    LOG.warn("circuit.open", "🔴 Circuit open for " + seconds + "s after "
                                    + s.consecutiveFailures() + " consecutive failures",
                            "open_seconds", seconds,
                            "consecutive_failures", s.consecutiveFailures(), "retry_at", s.retryAt());
                }
            }
        }
    }
}
