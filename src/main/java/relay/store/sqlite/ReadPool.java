package relay.store.sqlite;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A few read-only connections shared by all readers. WAL lets them read a committed snapshot beside the writer.
 * A pool rather than a connection per thread, because callers are short-lived virtual threads.
 */
final class ReadPool implements AutoCloseable {
    private final BlockingQueue<SqlSession> idle;
    private final List<SqlSession> all;
    /** Read-locked while a connection is borrowed, write-locked to close, so close never pulls one from a reader. */
    private final ReentrantReadWriteLock open = new ReentrantReadWriteLock();
    private boolean closed; // guarded by open

    private ReadPool(List<SqlSession> sessions) {
        this.all = List.copyOf(sessions);
        this.idle = new ArrayBlockingQueue<>(sessions.size(), false, sessions);
    }

    static ReadPool open(Path database, int size) throws SQLException {
        List<SqlSession> sessions = new ArrayList<>(size);
        try {
            for (int i = 0; i < size; i++) {
                SqlSession session = SqlSession.open(database);
                sessions.add(session);
                session.runOnce("PRAGMA query_only = ON");
                session.runOnce("PRAGMA busy_timeout = 5000");
            }
        } catch (SQLException e) {
            closeAll(sessions, e);
            throw e;
        }
        return new ReadPool(sessions);
    }

    <T> T read(SqlTask<T> query) throws SQLException {
        open.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the outbox is closed");
            }
            SqlSession session = borrow();
            try {
                return query.apply(session);
            } catch (SQLException e) {
                // A statement that failed cannot run again (see SqlSession): the next reader prepares afresh.
                session.forgetPrepared();
                throw e;
            } finally {
                idle.add(session);
            }
        } finally {
            open.readLock().unlock();
        }
    }

    private SqlSession borrow() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return idle.take();
                } catch (InterruptedException e) {
                    // A read is short; finishing it is simpler for callers than a half-done query.
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        open.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                closeAll(all, null);
            }
        } finally {
            open.writeLock().unlock();
        }
    }

    private static void closeAll(List<SqlSession> sessions, SQLException pending) {
        for (SqlSession session : sessions) {
            try {
                session.close();
            } catch (SQLException e) {
                if (pending != null) {
                    pending.addSuppressed(e);
                }
            }
        }
    }
}
