package relay.store;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import relay.log.EventLog;

/**
 * Moves committed pages from the write-ahead log into chat.db on its own connection and thread. SQLite would
 * otherwise checkpoint inside whichever commit crosses 1,000 pages, and with synchronous=FULL that commit — and every
 * caller waiting on it — pays for copying the pages and syncing the database file. A passive checkpoint never blocks
 * the writer; it copies what no reader still needs, and the log starts over once it has caught up.
 */
final class Checkpointer implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Checkpointer.class);

    /** How far one checkpoint got: frames in the log, and how many of them are now in the database file. */
    record Progress(int logFrames, int checkpointedFrames) {
    }

    private final SqlSession session;
    private final ScheduledExecutorService timer;

    private Checkpointer(SqlSession session, Duration interval) {
        this.session = session;
        // A platform thread: SQLite's native calls would pin a virtual thread's carrier anyway.
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("outbox-checkpointer")
                .daemon().factory());
        timer.scheduleWithFixedDelay(this::checkpointQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    static Checkpointer start(Path database, Duration interval) throws SQLException {
        SqlSession session = SqlSession.open(database);
        session.runOnce("PRAGMA busy_timeout = 5000");
        return new Checkpointer(session, interval);
    }

    /** Runs one passive checkpoint now, on the checkpointer's thread. */
    Progress checkpoint() {
        try {
            return timer.submit(this::run).get();
        } catch (ExecutionException e) {
            throw GroupCommitWriter.storageFailure(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checkpointing", e);
        }
    }

    private Progress run() throws SQLException {
        try (ResultSet row = session.prepare("PRAGMA wal_checkpoint(PASSIVE)").executeQuery()) {
            row.next();
            return new Progress(row.getInt(2), row.getInt(3));
        }
    }

    private void checkpointQuietly() {
        try {
            run();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("store.checkpoint_failed", "⚠️ Could not checkpoint chat.db (will try again): " + e.getMessage());
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
