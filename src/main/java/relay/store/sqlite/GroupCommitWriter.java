package relay.store.sqlite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import relay.log.EventLog;
import relay.store.StorageException;
import relay.store.StorageFault;

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
    private static final Pending<Void> STOP = new Pending<>(session -> null, false);

    private final SqlSession session;
    private final StoreHealth health;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final AtomicLong commits = new AtomicLong();
    /** Read-locked while a caller enqueues, write-locked to stop, so no write can slip in behind STOP. */
    private final ReentrantReadWriteLock accepting = new ReentrantReadWriteLock();
    private final Thread thread;
    private boolean closed; // guarded by accepting

    GroupCommitWriter(SqlSession session, StoreHealth health) {
        this.session = session;
        this.health = health;
        this.thread = Thread.ofPlatform().name("outbox-writer").start(this::run);
    }

    /**
     * Runs {@code write} on the writer thread and returns once its group is committed.
     *
     * @throws IllegalArgumentException as thrown by the write itself (nothing of it is kept)
     * @throws StorageException         when the database fails for a known reason (a full disk, a lock)
     * @throws UncheckedIOException     when it fails otherwise
     * @throws IllegalStateException    after {@link #close()}
     */
    <T> T execute(SqlTask<T> write) {
        Pending<T> pending = new Pending<>(write, false);
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

    /**
     * An empty write: completes once the write lock was taken and a commit made, which proves chat.db takes writes
     * again even though nothing changed.
     */
    CompletableFuture<Void> probe() {
        Pending<Void> pending = new Pending<>(session -> null, true);
        enqueue(pending);
        return pending.result;
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
            long changesBefore = session.totalChanges();
            session.run("BEGIN IMMEDIATE");
            for (Pending<?> pending : batch) {
                if (applyInSavepoint(pending)) {
                    done.add(pending);
                }
            }
            session.run("COMMIT");
            commits.incrementAndGet();
            // A commit that changed nothing wrote nothing, so proves nothing about a full disk.
            if (session.totalChanges() > changesBefore || done.stream().anyMatch(pending -> pending.probe)) {
                health.succeeded(StoreHealth.Part.DATABASE);
            }
            done.forEach(Pending::complete);
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly();
            session.forgetPrepared();
            RuntimeException failure = failureOf(e, batch.size());
            batch.forEach(pending -> pending.result.completeExceptionally(failure));
        }
    }

    /**
     * @return whether the write stayed in the transaction; a failed write is rolled back and its caller told
     * @throws SQLException when the write failed for a storage reason: SQLite may have rolled back the whole
     *                      transaction then, so the whole group fails
     */
    private boolean applyInSavepoint(Pending<?> pending) throws SQLException {
        session.run("SAVEPOINT write");
        try {
            pending.apply(session);
            session.run("RELEASE write");
            return true;
        } catch (SQLException e) {
            if (Faults.of(e).isPresent()) {
                throw e;
            }
            session.forgetPrepared();
            undo(pending, storageFailure(e));
            return false;
        } catch (RuntimeException e) {
            undo(pending, e);
            return false;
        }
    }

    private void undo(Pending<?> pending, RuntimeException failure) throws SQLException {
        session.run("ROLLBACK TO write");
        session.run("RELEASE write");
        pending.result.completeExceptionally(failure);
    }

    private void rollbackQuietly() {
        try {
            session.run("ROLLBACK");
        } catch (SQLException e) {
            // No transaction was open (BEGIN itself failed) or SQLite already rolled back: nothing left to undo.
        }
    }

    /** A known storage fault is logged once per incident and without a stack trace; anything else is a bug. */
    private RuntimeException failureOf(Throwable e, int writes) {
        Optional<StorageFault> fault = e instanceof SQLException sql ? Faults.of(sql) : Optional.empty();
        if (fault.isPresent()) {
            return health.failed(StoreHealth.Part.DATABASE, fault.get(), e);
        }
        LOG.error("store.commit_failed", "💥 Could not commit " + writes + " writes to chat.db", e, "writes", writes);
        return storageFailure(e);
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
        final boolean probe;
        final CompletableFuture<T> result = new CompletableFuture<>();
        T value;

        Pending(SqlTask<T> write, boolean probe) {
            this.write = write;
            this.probe = probe;
        }

        void apply(SqlSession session) throws SQLException {
            value = write.apply(session);
        }

        void complete() {
            result.complete(value);
        }
    }
}
