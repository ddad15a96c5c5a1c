package relay.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import relay.domain.Scheduler;

/**
 * Timers driven by a fake clock: a timer runs, on the test's thread, when the test calls {@link #runDue()} after
 * moving the clock to or past its time (a timer armed without delay is due at once, and waits for that call too).
 * Nothing runs by itself, so what a timer does happens exactly when the test says.
 */
public final class ManualScheduler implements Scheduler {
    private record Timer(Runnable task, Instant at, long order) {
    }

    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Timer> timers = new ArrayList<>(); // guarded by lock
    private long armed; // guarded by lock

    public ManualScheduler(InstantSource clock) {
        this.clock = clock;
    }

    @Override
    public void schedule(Runnable task, Duration delay) {
        lock.lock();
        try {
            timers.add(new Timer(task, clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay), armed++));
        } finally {
            lock.unlock();
        }
    }

    /** Runs the timers that the clock has reached, earliest first, including those they arm for a time reached. */
    public void runDue() {
        Optional<Timer> due;
        while ((due = takeDue()).isPresent()) {
            due.get().task().run();
        }
    }

    /** How many timers wait for their time. */
    public int pending() {
        lock.lock();
        try {
            return timers.size();
        } finally {
            lock.unlock();
        }
    }

    /** When the earliest timer is due; empty when none waits. */
    public Optional<Instant> next() {
        lock.lock();
        try {
            return timers.stream().map(Timer::at).min(Comparator.naturalOrder());
        } finally {
            lock.unlock();
        }
    }

    private Optional<Timer> takeDue() {
        lock.lock();
        try {
            Optional<Timer> due = timers.stream().filter(timer -> !timer.at().isAfter(clock.instant()))
                    .min(Comparator.comparing(Timer::at).thenComparingLong(Timer::order));
            due.ifPresent(timers::remove);
            return due;
        } finally {
            lock.unlock();
        }
    }
}
