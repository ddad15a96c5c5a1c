package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import relay.log.EventLog;

/**
 * Moves committed pages from the write-ahead log into chat.db on its own connection and thread, and keeps the log
 * file under a bound.
 *
 * <p>SQLite would otherwise checkpoint inside whichever commit crosses 1,000 pages, and with synchronous=FULL that
 * commit — and every caller waiting on it — pays for copying the pages and syncing the database file. So once a
 * second a PASSIVE checkpoint runs here, which never waits for anyone: it copies what no reader still needs.
 *
 * <p>Passive checkpoints alone let the log grow without bound under sustained writes: the log only starts over when a
 * write finds every frame copied and no reader in the log, and with commits back to back that moment never comes
 * (628 MB of log beside a 54 MB database after 30 s at 7,500 messages/s). So the log file's size is looked at 20
 * times a second, and once past a quarter of its bound a RESTART checkpoint runs: it copies the rest, and the next
 * commit starts the log over and cuts the file back to that quarter (journal_size_limit).
 *
 * <p>A restart needs the write lock and no reader left in the log, and holds writers off while it waits for them. A
 * writer that commits back to back would leave it polling for the lock, and a long read (the conversation list of a
 * large store takes hundreds of milliseconds) would hold writes up that long. So the outbox's writes and reads pass
 * {@link #admitWrite} and {@link #admitRead}; a restart starts at a look that finds no read under way, closes both
 * doors, and finds the log to itself: 8-15 ms with writes held, measured at 8,000 accepts a second on two cores.
 * Past half its bound the log no longer waits for such a look: writes are held until the reads under way end, so it
 * stops growing. (TRUNCATE, which also empties the file, was measured: longer pauses, and commits then pay for
 * growing the file again.)
 */
final class Checkpointer implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Checkpointer.class);
    private static final Duration PASSIVE_EVERY = Duration.ofSeconds(1);
    /** Often enough that sustained writes (~50 MB of log a second at the highest accept rate) stay far from it. */
    private static final Duration SIZE_EVERY = Duration.ofMillis(50);
    /** How long a restarting checkpoint waits for readers outside the outbox (a backup, the sqlite3 shell). */
    private static final Duration READER_WAIT = Duration.ofMillis(100);

    /**
     * How far one checkpoint got.
     *
     * @param logFrames          frames in the log when it ran
     * @param checkpointedFrames how many of them are now in the database file
     * @param restarted          whether the log will start over, and its file be cut back, at the next commit
     */
    record Progress(int logFrames, int checkpointedFrames, boolean restarted) {
    }

    private final SqlSession session;
    private final Path log;
    private final long walMaxBytes;
    /** Read-locked around each read and each write, write-locked by a restart: fair, so it is not starved. */
    private final ReentrantReadWriteLock reads = new ReentrantReadWriteLock(true);
    private final ReentrantReadWriteLock writes = new ReentrantReadWriteLock(true);
    private final ScheduledExecutorService timer;
    // Only touched on the timer thread.
    /** The log file's size when it was last restarted: it stays so until the next commit cuts it back. */
    private long restartedAtBytes = -1;
    private boolean overBound; // one warning per incident, not one per look
    private boolean failing;

    private Checkpointer(SqlSession session, Path log, long walMaxBytes) {
        this.session = session;
        this.log = log;
        this.walMaxBytes = walMaxBytes;
        // A platform thread: SQLite's native calls would pin a virtual thread's carrier anyway.
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("outbox-checkpointer")
                .daemon().factory());
        every(PASSIVE_EVERY, this::passive);
        every(SIZE_EVERY, this::keepUnderBound);
    }

    /**
     * @param walMaxBytes the size the log file must stay under: it is restarted once past a quarter of it, which
     *                    leaves room for what sustained writes add between two looks and while readers hold it
     */
    static Checkpointer start(Path database, long walMaxBytes) throws SQLException {
        SqlSession session = SqlSession.open(database);
        session.runOnce("PRAGMA busy_timeout = " + READER_WAIT.toMillis());
        return new Checkpointer(session, database.resolveSibling(database.getFileName() + "-wal"), walMaxBytes);
    }

    /** The log size above which it is restarted; also the writer's journal_size_limit. */
    static long logLimit(long walMaxBytes) {
        return walMaxBytes / 4;
    }

    /** Runs {@code write} now, or once a restarting checkpoint is done. */
    <T> T admitWrite(Supplier<T> write) {
        writes.readLock().lock();
        try {
            return write.get();
        } finally {
            writes.readLock().unlock();
        }
    }

    /** Runs {@code read} now, or once a restarting checkpoint is done. */
    <T> T admitRead(SqlCall<T> read) throws SQLException {
        reads.readLock().lock();
        try {
            return read.call();
        } finally {
            reads.readLock().unlock();
        }
    }

    @FunctionalInterface
    interface SqlCall<T> {
        T call() throws SQLException;
    }

    /** Runs a passive checkpoint now, then a restarting one if the log is past its limit, on the timer's thread. */
    Progress checkpoint() {
        try {
            return timer.submit(() -> {
                Progress passive = passive();
                return keepUnderBound().orElse(passive);
            }).get();
        } catch (ExecutionException e) {
            throw GroupCommitWriter.storageFailure(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checkpointing", e);
        }
    }

    private Progress passive() throws SQLException {
        return walCheckpoint("PASSIVE");
    }

    /** @return the restarting checkpoint's progress, or empty when the log is within its limit */
    private Optional<Progress> keepUnderBound() throws SQLException, IOException {
        long bytes = logBytes();
        if (bytes <= logLimit(walMaxBytes) || bytes == restartedAtBytes
                || reads.getReadLockCount() > 0 && bytes < walMaxBytes / 2) {
            return Optional.empty();
        }
        Progress restart;
        writes.writeLock().lock();
        reads.writeLock().lock();
        try {
            restart = walCheckpoint("RESTART");
        } finally {
            reads.writeLock().unlock();
            writes.writeLock().unlock();
        }
        restartedAtBytes = restart.restarted() ? bytes : -1;
        reportBound(restart, bytes);
        return Optional.of(restart);
    }

    private Progress walCheckpoint(String mode) throws SQLException {
        try (ResultSet row = session.prepare("PRAGMA wal_checkpoint(" + mode + ")").executeQuery()) {
            row.next();
            // busy = 1: readers (or, for PASSIVE, the writer) kept it from finishing; the log stays as it is.
            boolean finished = row.getInt(1) == 0;
            return new Progress(row.getInt(2), row.getInt(3), finished && mode.equals("RESTART"));
        }
    }

    /** Warns once when readers have kept the log from starting over until it passed its bound. */
    private void reportBound(Progress progress, long bytes) {
        if (progress.restarted() || bytes <= walMaxBytes) {
            overBound = false;
        } else if (!overBound) {
            overBound = true;
            LOG.warn("store.wal_over_bound", "⚠️ The write-ahead log is at " + bytes / (1024 * 1024) + " MiB, over "
                    + "WAL_MAX_MB, because readers keep it from starting over; will try again", "wal_bytes", bytes);
        }
    }

    private long logBytes() throws IOException {
        try {
            return Files.size(log);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    @FunctionalInterface
    private interface Step {
        Object run() throws SQLException, IOException;
    }

    private void every(Duration period, Step step) {
        timer.scheduleWithFixedDelay(() -> runQuietly(step), period.toMillis(), period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void runQuietly(Step step) {
        try {
            step.run();
            if (failing) {
                failing = false;
                LOG.info("store.checkpoint_recovered", "✅ Checkpoints of chat.db work again");
            }
        } catch (SQLException | IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("store.checkpoint_failed", "⚠️ Could not checkpoint chat.db (will keep trying): "
                        + e.getMessage());
            }
        }
    }

    /** Stops the timer; SQLite checkpoints what is left when the last connection closes. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
            session.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            throw GroupCommitWriter.storageFailure(e);
        }
    }
}
