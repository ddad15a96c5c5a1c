package relay.domain;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When to run something later, kept apart from what runs: injected like the clock, so that a test fires timers by
 * moving a fake clock instead of waiting. A timer cannot be cancelled; a task that may no longer be wanted checks so
 * when it runs.
 */
@FunctionalInterface
public interface Scheduler {
    /** Runs {@code task} once, {@code delay} from now (as soon as possible when not positive), off the caller's thread. */
    void schedule(Runnable task, Duration delay);

    /**
     * Timers on {@code executor}. Once it is shut down a timer is dropped rather than refused: only a service that
     * is stopping shuts its timers down, and nothing it would run is wanted any more.
     */
    static Scheduler on(ScheduledExecutorService executor) {
        return (task, delay) -> {
            try {
                executor.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // shut down: the service is stopping
            }
        };
    }
}
