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
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.Housekeeping;
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
    static final Duration PERIOD = Housekeeping.PERIOD;
    private static final int BATCH = 500;

    private final SqliteStore store;
    private final Duration orphanUploadAge;
    private final Optional<Duration> retention;
    private final InstantSource clock;
    private final int batch;
    /** Set by {@link #start}: a housekeeper built for a test runs only when the test says so. */
    private Housekeeping schedule;
    private volatile boolean closed;

    Housekeeper(SqliteStore store, Duration orphanUploadAge, Optional<Duration> retention, InstantSource clock,
                int batch) {
        this.store = Objects.requireNonNull(store, "store");
        this.orphanUploadAge = Objects.requireNonNull(orphanUploadAge, "orphanUploadAge");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.batch = batch;
    }

    /**
     * Runs at once on {@code timer}, then {@link #PERIOD} after each run ends.
     *
     * @param retention how long finished messages are kept; empty = forever
     */
    public static Housekeeper start(SqliteStore store, Duration orphanUploadAge, Optional<Duration> retention,
                                    InstantSource clock, Scheduler timer) {
        Housekeeper housekeeper = new Housekeeper(store, orphanUploadAge, retention, clock, BATCH);
        housekeeper.schedule = Housekeeping.start(housekeeper::run, timer);
        return housekeeper;
    }

    /** One run now, on the caller's thread; what it deleted. */
    HousekeepingTotals run() {
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
        Housekeeping.report(LOG, deleted);
        return deleted;
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

    /** Ends the runs: waits for one under way, which stops at its next batch; the next one will not run. */
    @Override
    public void close() {
        closed = true;
        if (schedule != null) {
            schedule.close();
        }
    }
}
