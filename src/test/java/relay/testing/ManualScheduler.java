package relay.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scheduler for one-shot timers driven by a fake clock: a timer runs when the test calls {@link #runDue()} after
 * moving the clock past its time, without real waiting. As with a real scheduler, a timer armed for a time already
 * reached fires at once (on the scheduler's own thread), and none is accepted once shut down.
 */
public final class ManualScheduler extends ScheduledThreadPoolExecutor {
    private final InstantSource clock;
    private final ConcurrentLinkedQueue<Timer> timers = new ConcurrentLinkedQueue<>();
    private final AtomicInteger refused = new AtomicInteger();

    public ManualScheduler(InstantSource clock) {
        super(0);
        this.clock = clock;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        if (isShutdown()) {
            refused.incrementAndGet();
            throw new RejectedExecutionException("the scheduler is shut down");
        }
        if (delay <= 0) {
            return super.schedule(task, 0, TimeUnit.NANOSECONDS);
        }
        Timer timer = new Timer(task, clock.instant().plusNanos(unit.toNanos(delay)));
        timers.add(timer);
        return timer;
    }

    /** Runs the timers that the clock has reached, earliest first. */
    public void runDue() {
        Optional<Timer> due;
        while ((due = next().filter(timer -> !timer.at.isAfter(clock.instant()))).isPresent()) {
            timers.remove(due.get());
            due.get().run();
        }
    }

    /** How many timers wait for their time: for tests that must know a task has re-armed itself. */
    public int pending() {
        timers.removeIf(Timer::isCancelled);
        return timers.size();
    }

    /** How many timers were asked for after shutdown. */
    public int refused() {
        return refused.get();
    }

    private Optional<Timer> next() {
        timers.removeIf(Timer::isCancelled);
        return timers.stream().min(Comparator.comparing(timer -> timer.at));
    }

    private final class Timer extends FutureTask<Void> implements ScheduledFuture<Void> {
        final Instant at;

        Timer(Runnable task, Instant at) {
            super(task, null);
            this.at = at;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.instant(), at));
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
