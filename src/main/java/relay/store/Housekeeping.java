package relay.store;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import relay.domain.Scheduler;
import relay.log.EventLog;

/**
 * When a store's housekeeping runs, whichever the backend: at start, then {@link #PERIOD} after each run ends, until
 * {@link #close()}, which waits for a run under way. The run itself (what to delete, in short batches that look at
 * {@link #isClosed()}) is the backend's.
 */
public final class Housekeeping implements AutoCloseable {
    public static final Duration PERIOD = Duration.ofHours(1);
    private static final EventLog LOG = EventLog.of(Housekeeping.class);

    private final Supplier<HousekeepingTotals> run;
    private final Scheduler timer;
    /** Held for a whole run, so that {@link #close()} waits for the one under way. */
    private final ReentrantLock running = new ReentrantLock();
    private volatile boolean closed;

    private Housekeeping(Supplier<HousekeepingTotals> run, Scheduler timer) {
        this.run = Objects.requireNonNull(run, "run");
        this.timer = Objects.requireNonNull(timer, "timer");
    }

    /** Runs {@code run} at once on {@code timer}, then every {@link #PERIOD}. */
    public static Housekeeping start(Supplier<HousekeepingTotals> run, Scheduler timer) {
        Housekeeping housekeeping = new Housekeeping(run, timer);
        housekeeping.scheduleIn(Duration.ZERO);
        return housekeeping;
    }

    private void scheduleIn(Duration delay) {
        if (!closed) {
            timer.schedule(this::runAndScheduleNext, delay);
        }
    }

    /** A timer armed before {@link #close()} finds it closed, and neither runs nor arms another. */
    private void runAndScheduleNext() {
        running.lock();
        try {
            if (closed) {
                return;
            }
            run.get();
        } catch (RuntimeException e) {
            LOG.warn("housekeeping.failed", "⚠️ Housekeeping stopped part-way (will try again in "
                    + PERIOD.toMinutes() + " min): " + e.getMessage());
        } finally {
            running.unlock();
        }
        scheduleIn(PERIOD);
    }

    /** Whether the runs have ended: a run under way stops at its next batch. */
    public boolean isClosed() {
        return closed;
    }

    /** One line for a run that deleted something, on the backend's own log; nothing for a run that did not. */
    public static void report(EventLog log, HousekeepingTotals deleted) {
        if (deleted.isEmpty()) {
            return;
        }
        log.info("housekeeping.deleted", "🧹 Housekeeping deleted " + deleted.orphanUploads()
                + " upload(s) no message used, " + deleted.messages() + " finished message(s) past retention and "
                + deleted.files() + " attachment file(s)", "orphan_uploads", deleted.orphanUploads(),
                "messages", deleted.messages(), "files", deleted.files());
    }

    /** Ends the runs: waits for one under way; the next one will not run. */
    @Override
    public void close() {
        closed = true;
        running.lock();
        running.unlock();
    }
}
