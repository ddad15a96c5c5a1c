package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import relay.log.EventLog;

/**
 * Stops hammering a webhook that keeps failing: after {@code failureThreshold} consecutive failures the circuit opens
 * for {@code openDuration}, then lets exactly one probe through; the probe's outcome closes it or opens a fresh window.
 * A 410 Gone pauses delivery until an operator resets the circuit.
 *
 * <p>All state is guarded by one lock and every state change goes through {@link #moveTo}. Outcomes reported while
 * the circuit is open (attempts that started before it opened) are recorded but do not move it; in half-open any
 * outcome decides, since it proves the webhook's current behaviour as well as the probe would.
 */
public final class CircuitBreaker {
    private static final EventLog LOG = EventLog.of(CircuitBreaker.class);
    static final int RECENT_FAILURES = 50;

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** One failed attempt, kept for the status page. {@code statusCode} is null when no response arrived. */
    public record Failure(Instant at, String messageId, int attempt, Integer statusCode, String error) {
    }

    /**
     * The breaker at one moment.
     *
     * @param openedAt       when the circuit last opened; null when closed
     * @param retryAt        when the open window ends; null when closed or paused
     * @param pausedReason   why delivery is paused; null unless {@link #pause} was called since the last reset
     * @param recentFailures newest first, at most 50
     */
    public record Snapshot(State state, int consecutiveFailures, int failureThreshold, Duration openDuration,
                           Instant openedAt, Instant retryAt, String pausedReason, Instant lastFailureAt,
                           Instant lastSuccessAt, List<Failure> recentFailures) {
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

    private static final Map<State, Set<State>> LEGAL = new EnumMap<>(Map.of(
            State.CLOSED, EnumSet.of(State.OPEN),
            // OPEN -> OPEN is a pause of an already open circuit.
            State.OPEN, EnumSet.of(State.HALF_OPEN, State.CLOSED, State.OPEN),
            State.HALF_OPEN, EnumSet.of(State.CLOSED, State.OPEN)));

    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    /** Changes not yet told to listeners; added under {@link #lock}, so in the order they happened. */
    private final Queue<Change> untold = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean telling = new AtomicBoolean();

    // Guarded by lock.
    private int failureThreshold;
    private Duration openDuration;
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private Instant openedAt;
    private Instant retryAt;
    private String pausedReason;
    private Instant lastFailureAt;
    private Instant lastSuccessAt;
    private final Deque<Failure> recentFailures = new ArrayDeque<>();

    /** A snapshot to tell listeners, and whether it is a move of the state (logged) or new limits (not). */
    private record Change(Snapshot snapshot, boolean moved) {
    }

    public CircuitBreaker(int failureThreshold, Duration openDuration, InstantSource clock) {
        requireValid(failureThreshold, openDuration);
        this.failureThreshold = failureThreshold;
        this.openDuration = openDuration;
        this.clock = Objects.requireNonNull(clock);
    }

    private static void requireValid(int failureThreshold, Duration openDuration) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1");
        }
        if (openDuration.isNegative() || openDuration.isZero()) {
            throw new IllegalArgumentException("openDuration must be positive");
        }
    }

    /**
     * Takes a new threshold and open window for what follows (the operator changed them while the service runs),
     * keeping the state as it is and its numbers sensible: a count of failures at or above the new threshold is kept
     * just under it, so the count never reads above the threshold and the next failure opens the circuit; an open
     * window is measured afresh from when it opened, so a shortened one may already be over (the next pass probes).
     * A pause stays until a reset.
     */
    public void reconfigure(int failureThreshold, Duration openDuration) {
        requireValid(failureThreshold, openDuration);
        lock.lock();
        try {
            if (failureThreshold == this.failureThreshold && openDuration.equals(this.openDuration)) {
                return;
            }
            this.failureThreshold = failureThreshold;
            this.openDuration = openDuration;
            if (state == State.CLOSED) {
                consecutiveFailures = Math.min(consecutiveFailures, failureThreshold - 1);
            }
            if (state == State.OPEN && pausedReason == null) {
                retryAt = openedAt.plus(openDuration);
            }
            untold.add(new Change(snapshotLocked(), false));
        } finally {
            unlockAndTell();
        }
    }

    /**
     * Asks to send one attempt. When the open window has ended the first caller gets the probe and the circuit turns
     * half-open; everyone else is rejected until the probe reports through {@link #onSuccess} or {@link #onFailure}.
     */
    public Permit tryAcquire() {
        lock.lock();
        try {
            return switch (state) {
                case CLOSED -> new Permit.Granted(false);
                case HALF_OPEN -> new Permit.Rejected(retryAt);
                case OPEN -> {
                    if (pausedReason != null) {
                        yield new Permit.Rejected(null);
                    }
                    if (clock.instant().isBefore(retryAt)) {
                        yield new Permit.Rejected(retryAt);
                    }
                    // Half-open means the one probe is out: the state itself admits nobody else.
                    moveTo(State.HALF_OPEN);
                    yield new Permit.Granted(true);
                }
            };
        } finally {
            unlockAndTell();
        }
    }

    public void onSuccess() {
        lock.lock();
        try {
            lastSuccessAt = clock.instant();
            switch (state) {
                case CLOSED -> consecutiveFailures = 0;
                case HALF_OPEN -> close();
                case OPEN -> {
                    // A late success from before the circuit opened: the window runs its course.
                }
            }
        } finally {
            unlockAndTell();
        }
    }

    public void onFailure(Failure failure) {
        lock.lock();
        try {
            record(failure);
            switch (state) {
                case CLOSED -> {
                    if (consecutiveFailures >= failureThreshold) {
                        open();
                    }
                }
                case HALF_OPEN -> open();
                case OPEN -> {
                    // A late failure from before the circuit opened: already counted, the window stays as it is.
                }
            }
        } finally {
            unlockAndTell();
        }
    }

    /**
     * The probe granted by {@link #tryAcquire()} was never sent (the attempt failed inside the service, before the
     * webhook): the circuit goes back to open with its window already over, so that the next caller probes instead
     * of everyone waiting for an outcome that will not come.
     */
    public void cancelProbe() {
        lock.lock();
        try {
            if (state == State.HALF_OPEN) {
                moveTo(State.OPEN);
            }
        } finally {
            unlockAndTell();
        }
    }

    /** Holds all delivery, without probes, until {@link #reset()}: the webhook said it is gone for good. */
    public void pause(String reason) {
        lock.lock();
        try {
            pausedReason = Objects.requireNonNull(reason);
            retryAt = null;
            openedAt = clock.instant();
            moveTo(State.OPEN);
        } finally {
            unlockAndTell();
        }
    }

    /** Closes the circuit at once, ending any pause. The recent failures stay as history. */
    public void reset() {
        lock.lock();
        try {
            if (state == State.CLOSED) {
                consecutiveFailures = 0;
            } else {
                close();
            }
        } finally {
            unlockAndTell();
        }
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

    private void record(Failure failure) {
        consecutiveFailures++;
        lastFailureAt = failure.at();
        recentFailures.addFirst(failure);
        if (recentFailures.size() > RECENT_FAILURES) {
            recentFailures.removeLast();
        }
    }

    private void open() {
        openedAt = clock.instant();
        retryAt = openedAt.plus(openDuration);
        moveTo(State.OPEN);
    }

    private void close() {
        consecutiveFailures = 0;
        openedAt = null;
        retryAt = null;
        pausedReason = null;
        moveTo(State.CLOSED);
    }

    /** The one place the state changes; called with the lock held, after the fields of the new state are set. */
    private void moveTo(State next) {
        if (!LEGAL.get(state).contains(next)) {
            throw new IllegalStateException("illegal circuit transition " + state + " -> " + next);
        }
        state = next;
        untold.add(new Change(snapshotLocked(), true));
    }

    private Snapshot snapshotLocked() {
        return new Snapshot(state, consecutiveFailures, failureThreshold, openDuration, openedAt, retryAt,
                pausedReason, lastFailureAt, lastSuccessAt, List.copyOf(recentFailures));
    }

    /**
     * Releases the lock, then logs and tells listeners of the changes made meanwhile. Only one thread tells at a time
     * so listeners see changes in order; a change made while another thread tells is picked up by that thread.
     */
    private void unlockAndTell() {
        lock.unlock();
        while (!untold.isEmpty() && telling.compareAndSet(false, true)) {
            try {
                Change change;
                while ((change = untold.poll()) != null) {
                    tell(change);
                }
            } finally {
                telling.set(false);
            }
        }
    }

    private void tell(Change change) {
        if (change.moved()) {
            logChange(change.snapshot());
        }
        for (Consumer<Snapshot> listener : listeners) {
            try {
                listener.accept(change.snapshot());
            } catch (RuntimeException e) {
                LOG.error("circuit.listener_failed", "⚠️ A circuit listener failed", e);
            }
        }
    }

    private static void logChange(Snapshot s) {
        switch (s.state()) {
            case CLOSED -> LOG.info("circuit.closed", "🟢 Circuit closed");
            case HALF_OPEN -> LOG.info("circuit.half_open", "🟡 Circuit half-open: sending one probe");
            case OPEN -> {
                if (s.pausedReason() != null) {
                    LOG.warn("circuit.paused", "⛔ Delivery paused: " + s.pausedReason(), "reason", s.pausedReason());
                } else {
                    LOG.warn("circuit.open", "🔴 Circuit open for " + s.openDuration().toSeconds() + "s after "
                                    + s.consecutiveFailures() + " consecutive failures",
                            "open_seconds", s.openDuration().toSeconds(),
                            "consecutive_failures", s.consecutiveFailures(), "retry_at", s.retryAt());
                }
            }
        }
    }
}
