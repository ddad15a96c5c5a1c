package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import relay.domain.Circuit;
import relay.domain.Ordering;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.Claim;
import relay.store.DeliveryQueue;
import relay.store.StorageException;

/**
 * The engine's one loop. A pass asks the store for due heads up to the free slots, in one write, and hands each to
 * an attempt; while the circuit is open it holds what came due instead, and claims only the probe once the open
 * window ends. A delivery whose lease ran out is simply due again: that is how work cut off by a crash or a restart
 * is picked up, with no recovery code of its own.
 *
 * <p>In memory there is only a hint of when to look next (the earliest due time, or the end of the open window) and
 * the count of attempts this process runs. Anything can ask for a pass ({@link #nudge}); passes never overlap, and
 * nudges during one make one more. A periodic pass backs the hints up: a lost nudge costs latency, never a delivery.
 */
final class ClaimLoop {
    private static final EventLog LOG = EventLog.of(ClaimLoop.class);

    /** Where claims go: an attempt on its own thread, which calls {@code ended} however it ends. */
    interface Launcher {
        void launch(Claim claim, boolean probe, Runnable ended);
    }

    /** What a pass did to the line besides claiming, for the engine to tell listeners. */
    interface Moves {
        void held(List<String> messageIds);

        void released(List<String> messageIds);
    }

    /**
     * How the loop claims: whether at all (not while no webhook is configured), for whom, how long a claim lasts, how
     * often it looks without being asked. Read afresh by each pass, since the operator may change it while it runs.
     */
    record Settings(boolean delivering, Ordering ordering, int concurrency, Duration lease, Duration poll,
                    String owner) {
        Settings {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
        }
    }

    private final DeliveryQueue queue;
    private final CircuitBreaker breaker;
    private final Supplier<Settings> settings;
    private final InstantSource clock;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Launcher launcher;
    private final Moves moves;

    private final AtomicBoolean passQueued = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    /** Held deliveries wait for a pass that finds the circuit closed; at start, any left by the last run. */
    private final AtomicBoolean releasePending = new AtomicBoolean(true);
    /** The wake-up hint: when a timer is armed to look again. */
    private final AtomicReference<Instant> wakeAt = new AtomicReference<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight; // guarded by lock
    private volatile boolean closed;

    ClaimLoop(DeliveryQueue queue, CircuitBreaker breaker, Supplier<Settings> settings, InstantSource clock,
              Scheduler scheduler,
              Executor executor, Launcher launcher, Moves moves) {
        this.queue = queue;
        this.breaker = breaker;
        this.settings = settings;
        this.clock = clock;
        this.scheduler = scheduler;
        this.executor = executor;
        this.launcher = launcher;
        this.moves = moves;
    }

    /** Looks at once, and every poll period from now on. */
    void start() {
        nudge();
        pollLater();
    }

    /** Asks for a pass soon; never waits for it. */
    void nudge() {
        again.set(true);
        if (!closed && passQueued.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    /**
     * Work that came up elsewhere (another instance accepted a message, or ended an attempt): worth a pass only with a
     * slot free, since an attempt that ends here looks for work anyway.
     */
    void nudgeIfFree() {
        if (freeSlots(settings.get()) > 0) {
            nudge();
        }
    }

    /** Held deliveries are to be released by the next pass that finds the circuit closed. */
    void releaseHeld() {
        releasePending.set(true);
        nudge();
    }

    /** Makes sure a pass happens at {@code at}, unless one is armed for that time or earlier already. */
    void wakeAt(Instant at) {
        if (!at.isAfter(clock.instant())) {
            nudge();
            return;
        }
        Instant armed;
        do {
            armed = wakeAt.get();
            if (armed != null && !armed.isAfter(at) && armed.isAfter(clock.instant())) {
                return;
            }
        } while (!wakeAt.compareAndSet(armed, at));
        scheduler.schedule(() -> {
            wakeAt.compareAndSet(at, null);
            nudge();
        }, Duration.between(clock.instant(), at));
    }

    private void pollLater() {
        scheduler.schedule(() -> {
            if (!closed) {
                nudge();
                pollLater();
            }
        }, settings.get().poll());
    }

    private void drain() {
        try {
            while (again.getAndSet(false) && !closed) {
                passSafely();
            }
        } finally {
            passQueued.set(false);
        }
        if (again.get() && !closed && passQueued.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void passSafely() {
        try {
            pass();
        } catch (StorageException e) {
            // The store logged its incident once; the periodic pass tries again.
        } catch (RuntimeException e) {
            LOG.error("delivery.pass_failed", "💥 Looking for due deliveries failed; trying again in "
                    + settings.get().poll().toSeconds() + "s", e);
        }
    }

    private void pass() {
        Settings current = settings.get();
        if (current.delivering()) {
            pass(current, clock.instant());
        }
    }

    private void pass(Settings settings, Instant now) {
        CircuitBreaker.Snapshot circuit = breaker.snapshot();
        if (circuit.state() == Circuit.State.CLOSED) {
            release(now);
        } else {
            List<String> held = queue.hold(now);
            if (!held.isEmpty()) {
                moves.held(held);
            }
        }
        int free = freeSlots(settings);
        if (free > 0) {
            for (Claim claim : claims(settings, circuit, now, free)) {
                launchOrGiveBack(claim, now);
            }
        }
        armWake(settings, now, circuit);
    }

    private void release(Instant now) {
        if (!releasePending.getAndSet(false)) {
            return;
        }
        try {
            List<String> released = queue.release(now);
            if (!released.isEmpty()) {
                moves.released(released);
            }
        } catch (RuntimeException e) {
            releasePending.set(true);
            throw e;
        }
    }

    /** While the circuit is open nothing is claimed, but the one probe once the open window has ended. */
    private List<Claim> claims(Settings settings, CircuitBreaker.Snapshot circuit, Instant now, int free) {
        return switch (circuit.state()) {
            case CLOSED -> queue.claim(now, free, settings.owner(), settings.lease(), settings.ordering());
            case OPEN -> windowOver(circuit, now)
                    ? queue.claimProbe(now, settings.owner(), settings.lease(), settings.ordering()).stream().toList()
                    : List.of();
            case HALF_OPEN -> List.of();
        };
    }

    private static boolean windowOver(CircuitBreaker.Snapshot circuit, Instant now) {
        return circuit.pausedReason() == null && circuit.retryAt() != null && !now.isBefore(circuit.retryAt());
    }

    /**
     * The breaker has the last word: when it opened since the pass looked, or another caller took the probe, the
     * claim is given back at once and held by the next pass.
     */
    private void launchOrGiveBack(Claim claim, Instant now) {
        switch (breaker.tryAcquire()) {
            case CircuitBreaker.Permit.Granted granted -> {
                lock.lock();
                try {
                    inFlight++;
                } finally {
                    lock.unlock();
                }
                launcher.launch(claim, granted.probe(), this::ended);
            }
            case CircuitBreaker.Permit.Rejected rejected -> queue.reschedule(claim, now);
        }
    }

    private void ended() {
        lock.lock();
        try {
            inFlight--;
            if (inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
        nudge();
    }

    /** Fewer than none when the concurrency was lowered below what is in flight: those finish, none start. */
    private int freeSlots(Settings settings) {
        lock.lock();
        try {
            return settings.concurrency() - inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** The next time worth a look: the earliest head not due yet, or the end of the open window. */
    private void armWake(Settings settings, Instant now, CircuitBreaker.Snapshot circuit) {
        Optional<Instant> next = queue.nextDue(now, settings.ordering());
        Instant windowEnd = circuit.state() == Circuit.State.OPEN ? circuit.retryAt() : null;
        if (windowEnd != null && windowEnd.isAfter(now) && (next.isEmpty() || windowEnd.isBefore(next.get()))) {
            next = Optional.of(windowEnd);
        }
        next.ifPresent(this::wakeAt);
    }

    /** Stops claiming, and waits up to {@code grace} for the attempts in flight; their leases keep the rest safe. */
    void close(Duration grace) {
        closed = true;
        lock.lock();
        try {
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
}
