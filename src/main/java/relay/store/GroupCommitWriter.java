package relay.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import relay.log.EventLog;

/**
 * The only thread that writes to chat.db. It commits in groups: everything that queued up while the previous
 * commit was syncing goes into one transaction, each write in its own savepoint so one failing write does not
 * undo the others, and one fsync'd COMMIT makes them all durable before any caller is answered.
 *
 * <p>The thread is a platform thread because SQLite's native calls would pin a virtual thread's carrier anyway.
 * The queue is bounded so a flood of callers waits instead of piling up memory.
 */
final class GroupCommitWriter implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(GroupCommitWriter.class);
    private static final int MAX_BATCH = 256;
    private static final int MAX_QUEUED = 4 * MAX_BATCH;
    private static final Pending<Void> STOP = new Pending<>(session -> null);

    private final SqlSession session;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final AtomicLong commits = new AtomicLong();
    /** Read-locked while a caller enqueues, write-locked to stop, so no write can slip in behind STOP. */
    private final ReentrantReadWriteLock accepting = new ReentrantReadWriteLock();
    private final Thread thread;
    private boolean closed; // guarded by accepting

    GroupCommitWriter(SqlSession session) {
        this.session = session;
        this.thread = Thread.ofPlatform().name("outbox-writer").start(this::run);
    }

    /**
     * Runs {@code write} on the writer thread and returns once its group is committed.
     *
     * @throws IllegalArgumentException as thrown by the write itself (nothing of it is kept)
     * @throws UncheckedIOException     when the database fails
     * @throws IllegalStateException    after {@link #close()}
     */
    <T> T execute(SqlTask<T> write) {
        Pending<T> pending = new Pending<>(write);
        enqueue(pending);
        try {
            // join, not get: the write completes regardless of the caller, so an interrupt has nothing to cancel.
            return pending.result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    long commitCount() {
        return commits.get();
    }

    int queuedWrites() {
        return queue.size();
    }

    private void enqueue(Pending<?> pending) {
        accepting.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the outbox is closed");
            }
            putUninterruptibly(pending);
        } finally {
            accepting.readLock().unlock();
        }
    }

    private void putUninterruptibly(Pending<?> pending) {
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(pending);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
        boolean stopping = false;
        while (!stopping) {
            batch.add(takeUninterruptibly());
            queue.drainTo(batch, MAX_BATCH - 1);
            stopping = batch.remove(STOP);
            if (!batch.isEmpty()) {
                commit(batch);
            }
            batch.clear();
        }
    }

    private Pending<?> takeUninterruptibly() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // Only close() stops this thread, through STOP, so that queued writes are never dropped.
                continue;
            }
        }
    }

    private void commit(List<Pending<?>> batch) {
        List<Pending<?>> done = new ArrayList<>(batch.size());
        try {
            session.run("BEGIN IMMEDIATE");
            for (Pending<?> pending : batch) {
                if (applyInSavepoint(pending)) {
                    done.add(pending);
                }
            }
            session.run("COMMIT");
            commits.incrementAndGet();
            done.forEach(Pending::complete);
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly();
            LOG.error("store.commit_failed", "💥 Could not commit " + batch.size() + " writes to chat.db", e,
                    "writes", batch.size());
            UncheckedIOException failure = storageFailure(e);
            batch.forEach(pending -> pending.result.completeExceptionally(failure));
        }
    }

    /** @return whether the write stayed in the transaction; a failed write is rolled back and its caller told. */
    private boolean applyInSavepoint(Pending<?> pending) throws SQLException {
        session.run("SAVEPOINT write");
        try {
            pending.apply(session);
            session.run("RELEASE write");
            return true;
        } catch (SQLException | RuntimeException e) {
            session.run("ROLLBACK TO write");
            session.run("RELEASE write");
            pending.result.completeExceptionally(e instanceof RuntimeException r ? r : storageFailure(e));
            return false;
        }
    }

    private void rollbackQuietly() {
        try {
            session.run("ROLLBACK");
        } catch (SQLException e) {
            // No transaction was open (BEGIN itself failed) or SQLite already rolled back: nothing left to undo.
        }
    }

    static UncheckedIOException storageFailure(Throwable cause) {
        return new UncheckedIOException(new IOException("chat.db: " + cause.getMessage(), cause));
    }

    /** Lets every queued write commit, then stops the thread. */
    @Override
    public void close() {
        accepting.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            putUninterruptibly(STOP);
        } finally {
            accepting.writeLock().unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Pending<T> {
        final SqlTask<T> write;
        final CompletableFuture<T> result = new CompletableFuture<>();
        T value;

        Pending(SqlTask<T> write) {
            this.write = write;
        }

        void apply(SqlSession session) throws SQLException {
            value = write.apply(session);
        }

        void complete() {
            result.complete(value);
        }
    }
}
