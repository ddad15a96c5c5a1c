package relay.store.sqlite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.HousekeepingTotals.Kind;
import relay.store.HousekeepingTotals;

/**
 * Deletes what the store no longer needs, at start and then every hour: uploads no message used once
 * {@code ORPHAN_UPLOAD_HOURS} have passed, delivered and failed messages once {@code RETENTION_DAYS} have passed
 * (never, when unset), and the files nothing refers to any more. Every deletion goes through the outbox's one writer
 * in batches, so the API's writes interleave with a large clean-up instead of waiting behind it; totals are kept in
 * the store for /metrics, and a run that deleted something says so in one log line.
 */
public final class Housekeeper implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Housekeeper.class);
    static final Duration PERIOD = Duration.ofHours(1);
    private static final int BATCH = 500;

    private final SqliteStore store;
    private final Duration orphanUploadAge;
    private final Optional<Duration> retention;
    private final InstantSource clock;
    private final Scheduler timer;
    private final int batch;
    /** Held for a whole run, so that {@link #close()} waits for the one under way. */
    private final ReentrantLock running = new ReentrantLock();
    private volatile boolean closed;

    Housekeeper(SqliteStore store, Duration orphanUploadAge, Optional<Duration> retention, InstantSource clock,
                Scheduler timer, int batch) {
        this.store = Objects.requireNonNull(store, "store");
        this.orphanUploadAge = Objects.requireNonNull(orphanUploadAge, "orphanUploadAge");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.batch = batch;
    }

    /**
     * Runs at once on {@code timer}, then {@link #PERIOD} after each run ends.
     *
     * @param retention how long finished messages are kept; empty = forever
     */
    public static Housekeeper start(SqliteStore store, Duration orphanUploadAge, Optional<Duration> retention,
                                    InstantSource clock, Scheduler timer) {
        Housekeeper housekeeper = new Housekeeper(store, orphanUploadAge, retention, clock, timer, BATCH);
        housekeeper.scheduleIn(Duration.ZERO);
        return housekeeper;
    }

    private void scheduleIn(Duration delay) {
        if (!closed) {
            timer.schedule(this::runAndScheduleNext, delay);
        }
    }

    /** A timer armed before {@link #close()} finds the housekeeper closed, and neither runs nor arms another. */
    private void runAndScheduleNext() {
        if (closed) {
            return;
        }
        try {
            run();
        } catch (RuntimeException e) {
            LOG.warn("housekeeping.failed", "⚠️ Housekeeping stopped part-way (will try again in "
                    + PERIOD.toMinutes() + " min): " + e.getMessage());
        }
        scheduleIn(PERIOD);
    }

    /** One run now, on the caller's thread; what it deleted. */
    HousekeepingTotals run() {
        running.lock();
        try {
            Instant now = clock.instant();
            Instant uploadCutoff = now.minus(orphanUploadAge);
            HousekeepingTotals deleted = prune(Kind.ORPHAN_UPLOAD,
                    session -> Pruning.orphanUploads(session, uploadCutoff, batch));
            if (retention.isPresent()) {
                Instant messageCutoff = now.minus(retention.get());
                deleted = deleted.plus(prune(Kind.MESSAGE,
                        session -> Pruning.expiredMessages(session, messageCutoff, batch)));
            }
            deleted = deleted.plus(Kind.FILE, deleteStrayFiles(uploadCutoff));
            report(deleted);
            return deleted;
        } finally {
            running.unlock();
        }
    }

    /**
     * Deletes rows a batch at a time, each batch's files right after it, until a batch comes back short or the
     * service stops (the rest waits for the next run).
     */
    private HousekeepingTotals prune(Kind kind, SqlTask<Pruning.Step> step) {
        HousekeepingTotals deleted = HousekeepingTotals.NONE;
        Pruning.Step pruned;
        do {
            pruned = store.write(step);
            Pruning.Step done = pruned;
            deleted = deleted.plus(kind, pruned.rows()).plus(Kind.FILE, deleteFiles(done.sha256s()));
        } while (pruned.rows() == batch && !closed);
        return deleted;
    }

    /**
     * Files that no attachment row names and that are older than the orphan age: left by an upload cut short by a
     * crash before its row was saved, or by a crash between a batch's rows and its files.
     */
    private long deleteStrayFiles(Instant cutoff) {
        List<String> old;
        try {
            old = store.files().storedBefore(cutoff);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deleted = 0;
        for (int from = 0; from < old.size() && !closed; from += batch) {
            deleted += deleteFiles(old.subList(from, Math.min(old.size(), from + batch)));
        }
        return deleted;
    }

    /**
     * Deletes the files of {@code sha256s} that no attachment row names and no upload in progress holds (the outbox
     * decides under the lock uploads place files with), and adds them to the stored totals.
     */
    private int deleteFiles(Collection<String> sha256s) {
        int deleted = (int) sha256s.stream().filter(store::deleteFileIfUnused).count();
        if (deleted > 0) {
            store.write(session -> {
                Pruning.count(session, Kind.FILE, deleted);
                return null;
            });
        }
        return deleted;
    }

    private void report(HousekeepingTotals deleted) {
        if (deleted.isEmpty()) {
            return;
        }
        LOG.info("housekeeping.deleted", "🧹 Housekeeping deleted " + deleted.orphanUploads()
                + " upload(s) no message used, " + deleted.messages() + " finished message(s) past retention and "
                + deleted.files() + " attachment file(s)", "orphan_uploads", deleted.orphanUploads(),
                "messages", deleted.messages(), "files", deleted.files());
    }

    /** Ends the runs: waits for one under way, which stops at its next batch; the next one will not run. */
    @Override
    public void close() {
        closed = true;
        running.lock();
        running.unlock();
    }
}
