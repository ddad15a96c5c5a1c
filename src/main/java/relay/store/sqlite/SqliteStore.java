package relay.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.sqlite.SQLiteErrorCode;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptMetrics;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.Message;
import relay.domain.MessageStatus;
import relay.domain.NewMessage;
import relay.domain.Ordering;
import relay.log.EventLog;
import relay.store.AttachmentStore;
import relay.store.Claim;
import relay.store.DeliveryQueue;
import relay.store.HousekeepingTotals;
import relay.store.MessageReads;
import relay.store.StorageException;
import relay.store.StorageFault;
import relay.store.StoreStatus;
import relay.store.jdbc.StoredRows;

/**
 * The durable outbox on SQLite: messages, their attachments, deliveries and every attempt, in
 * {@code DATA_DIR/chat.db}, and the attachments' bytes in {@code DATA_DIR/attachments/}.
 *
 * <p>Writes go through one writer thread that commits in groups; each write method returns once its write is
 * durable, or throws {@link IllegalArgumentException} (the write was refused and nothing of it kept),
 * {@link StorageException} (the disk or the database failed for a known reason: full, read-only, locked…; nothing of
 * the write kept) or {@link UncheckedIOException} (it failed otherwise). Reads run on a few pooled connections beside
 * the writer and see the last committed state. Instants are kept to the millisecond.
 *
 * <p>A failure of the store opens an incident that is logged once and shown by {@link #fault()} until a write
 * succeeds again; nothing needs a restart once the disk has room again.
 */
public final class SqliteStore implements DeliveryQueue, MessageReads, AttachmentStore, StoreStatus, AutoCloseable {
    private static final EventLog LOG = EventLog.of(SqliteStore.class);
    private static final String DATABASE = "chat.db";
    private static final int READERS = 4;
    /** How long a health check waits for the writer's probe; a store that is busy longer than this still is. */
    private static final Duration PROBE_WAIT = Duration.ofSeconds(1);
    /** WAL_MAX_MB's default, for callers that do not choose. */
    public static final long DEFAULT_WAL_MAX_BYTES = 64L * 1024 * 1024;

    private final DataDirLock lock;
    private final AttachmentFiles files;
    private final SqlSession writerSession;
    private final GroupCommitWriter writer;
    private final ReadPool readers;
    private final Checkpointer checkpointer;
    private final InstantSource clock;
    private final StoreHealth health;

    private SqliteStore(DataDirLock lock, AttachmentFiles files, SqlSession writerSession, ReadPool readers,
                   Checkpointer checkpointer, InstantSource clock) {
        this.lock = lock;
        this.files = files;
        this.writerSession = writerSession;
        this.health = new StoreHealth(clock);
        this.writer = new GroupCommitWriter(writerSession, health);
        this.readers = readers;
        this.checkpointer = checkpointer;
        this.clock = clock;
    }

    /**
     * Opens (creating when needed) {@code dataDir}, its {@code chat.db} and {@code attachments/}, and migrates the
     * schema to the current version. The folder is this outbox's alone until {@link #close()}: another process, or
     * another outbox in this one, is refused.
     *
     * @throws IOException with a message fit to show the operator as it is, when the folder is not writable or in use,
     *                     or chat.db is missing beside attachments, damaged, or not a database this build can use
     */
    public static SqliteStore open(Path dataDir, InstantSource clock) throws IOException {
        return open(dataDir, clock, DEFAULT_WAL_MAX_BYTES);
    }

    /**
     * As {@link #open(Path, InstantSource)}, keeping the write-ahead log under {@code walMaxBytes} as long as readers
     * let it start over.
     */
    public static SqliteStore open(Path dataDir, InstantSource clock, long walMaxBytes) throws IOException {
        Objects.requireNonNull(clock, "clock");
        Path folder = dataDir.toAbsolutePath().normalize();
        prepareFolder(folder);
        DataDirLock lock = DataDirLock.acquire(folder, clock);
        try {
            return openLocked(folder, lock, clock, walMaxBytes);
        } catch (IOException | RuntimeException e) {
            closeQuietly(e, lock);
            throw e;
        }
    }

    private static SqliteStore openLocked(Path folder, DataDirLock lock, InstantSource clock, long walMaxBytes)
            throws IOException {
        Path database = folder.resolve(DATABASE);
        Path attachments = folder.resolve("attachments");
        Integrity.requireDatabaseBesideAttachments(database, attachments);
        AttachmentFiles files = AttachmentFiles.open(attachments);
        SqlSession writerSession = null;
        ReadPool readers = null;
        try {
            writerSession = SqlSession.open(database);
            int migrations = configureWriter(writerSession, database, walMaxBytes);
            readers = ReadPool.open(database, READERS);
            Checkpointer checkpointer = Checkpointer.start(database, walMaxBytes);
            LOG.info("store.opened", "🗄️ Opened " + database + (migrations == 0 ? ""
                    : " and applied " + migrations + " schema migration(s)"),
                    "path", database, "migrations", migrations, "schema_version", Schema.CURRENT_VERSION);
            return new SqliteStore(lock, files, writerSession, readers, checkpointer, clock);
        } catch (SQLException e) {
            closeQuietly(e, readers, writerSession);
            throw describe(e, folder);
        } catch (IOException | RuntimeException e) {
            closeQuietly(e, readers, writerSession);
            throw e;
        }
    }

    private static void prepareFolder(Path folder) throws IOException {
        try {
            Files.createDirectories(folder);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("DATA_DIR " + folder + " is not a folder", e);
        } catch (IOException e) {
            throw new IOException("DATA_DIR " + folder + " is not writable: it cannot be created (" + e + ")", e);
        }
        if (!Files.isWritable(folder)) {
            throw new IOException("DATA_DIR " + folder + " is not writable");
        }
        Path database = folder.resolve(DATABASE);
        if (Files.exists(database) && !Files.isWritable(database)) {
            throw new IOException("DATA_DIR " + folder + " is not writable: " + DATABASE + " is read-only");
        }
    }

    /**
     * A damaged file is refused before anything is written to it. WAL lets readers run beside the writer;
     * synchronous=FULL makes every commit reach the disk before it returns, which is what "accepted" promises to the
     * operator.
     *
     * @return how many migrations ran
     */
    private static int configureWriter(SqlSession session, Path database, long walMaxBytes)
            throws SQLException, IOException {
        session.runOnce("PRAGMA busy_timeout = 5000");
        Integrity.quickCheck(session, database);
        try (ResultSet mode = session.prepare("PRAGMA journal_mode = WAL").executeQuery()) {
            if (!mode.next() || !"wal".equalsIgnoreCase(mode.getString(1))) {
                throw new SQLException("the file system does not support write-ahead logging");
            }
        }
        session.runOnce("PRAGMA synchronous = FULL");
        // Checkpoints run beside the writer (Checkpointer), never inside a commit callers are waiting on.
        session.runOnce("PRAGMA wal_autocheckpoint = 0");
        // When the log starts over after a checkpoint caught up, its file is cut back to this size.
        session.runOnce("PRAGMA journal_size_limit = " + Checkpointer.logLimit(walMaxBytes));
        session.runOnce("PRAGMA foreign_keys = ON");
        return Schema.migrate(session);
    }

    private static IOException describe(SQLException e, Path folder) {
        if (e instanceof Schema.NewerSchemaException) {
            return new IOException(DATABASE + " in " + folder + " cannot be used: " + e.getMessage(), e);
        }
        int code = e.getErrorCode() & 0xFF;
        if (code == SQLiteErrorCode.SQLITE_NOTADB.code || code == SQLiteErrorCode.SQLITE_CORRUPT.code) {
            return new IOException(DATABASE + " is not a valid database: " + folder.resolve(DATABASE) + " ("
                    + e.getMessage() + "); " + Integrity.RECOVERY, e);
        }
        if (code == SQLiteErrorCode.SQLITE_READONLY.code || code == SQLiteErrorCode.SQLITE_CANTOPEN.code
                || code == SQLiteErrorCode.SQLITE_PERM.code) {
            return new IOException("DATA_DIR " + folder + " is not writable (" + e.getMessage() + ")", e);
        }
        return new IOException(DATABASE + " in " + folder + " could not be opened: " + e.getMessage(), e);
    }

    private static void closeQuietly(Exception failure, AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    public AttachmentFiles files() {
        return files;
    }

    // ---- writes: each returns once durable

    @Override
    public Message accept(NewMessage message, DeliveryState initial) {
        Objects.requireNonNull(message, "message");
        if (initial != DeliveryState.QUEUED && initial != DeliveryState.HELD) {
            throw new IllegalArgumentException("a new delivery is queued or held, not " + initial.wireName());
        }
        return write(session -> Updates.accept(session, message, initial, clock.instant()));
    }

    /** Streams the upload into attachments/ as {@link AttachmentFiles#write} does. */
    @Override
    public Written upload(InputStream in, long maxBytes) throws IOException {
        try {
            Written written = files.write(in, maxBytes);
            health.succeeded(StoreHealth.Part.FILES);
            return written;
        } catch (StorageException e) {
            throw health.failed(StoreHealth.Part.FILES, e.fault(), e.getCause());
        }
    }

    @Override
    public void saveAttachment(Attachment attachment) {
        Objects.requireNonNull(attachment, "attachment");
        boolean saved = false;
        try {
            write(session -> {
                Updates.saveAttachment(session, attachment, files);
                return null;
            });
            saved = true;
        } finally {
            files.release(attachment.sha256());
            if (!saved) {
                deleteFileQuietly(attachment.sha256());
            }
        }
    }

    @Override
    public List<Claim> claim(Instant now, int limit, String owner, Duration lease, Ordering ordering) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        return write(session -> Queue.claim(session, now, limit, owner, lease, ordering, false));
    }

    @Override
    public Optional<Claim> claimProbe(Instant now, String owner, Duration lease, Ordering ordering) {
        return write(session -> Queue.claim(session, now, 1, owner, lease, ordering, true)).stream().findFirst();
    }

    @Override
    public boolean renew(Claim claim, Instant now, Duration lease) {
        return write(session -> Queue.renew(session, claim, StoredRows.stored(now.plus(lease))));
    }

    @Override
    public boolean complete(Claim claim, Attempt attempt, DeliveryState next, Instant nextAttemptAt,
                            String lastError) {
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(next, "next");
        return write(session -> Queue.complete(session, claim, attempt, next, nextAttemptAt, lastError,
                clock.instant()));
    }

    @Override
    public boolean reschedule(Claim claim, Instant at) {
        return write(session -> Queue.reschedule(session, claim, at, clock.instant()));
    }

    @Override
    public List<String> hold(Instant now) {
        return write(session -> Queue.hold(session, now));
    }

    @Override
    public List<String> release(Instant now) {
        return write(session -> Queue.release(session, now));
    }

    @Override
    public boolean requeue(String messageId, boolean force) {
        Objects.requireNonNull(messageId, "messageId");
        return write(session -> Queue.requeue(session, messageId, force, clock.instant()));
    }

    @Override
    public List<String> requeueAllFailed() {
        return write(session -> Queue.requeueAllFailed(session, clock.instant()));
    }

    @Override
    public boolean skip(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        return write(session -> Queue.skip(session, messageId, clock.instant()));
    }

    @Override
    public Optional<Instant> nextDue(Instant now, Ordering ordering) {
        return read(session -> Queue.nextDue(session, now, ordering));
    }

    @Override
    public boolean discardUnreferencedFile(String sha256) {
        files.release(sha256);
        return deleteFileIfUnused(sha256);
    }

    @Override
    public boolean discardAttachment(String attachmentId) {
        Objects.requireNonNull(attachmentId, "attachmentId");
        Optional<String> sha256 = write(session -> Updates.discardAttachment(session, attachmentId));
        sha256.ifPresent(this::deleteFileIfUnused);
        return sha256.isPresent();
    }

    @Override
    public SeekableByteChannel open(String sha256) {
        return files.open(sha256);
    }

    /** Deletes the file with this content unless a row or an upload in progress uses it; see AttachmentFiles. */
    boolean deleteFileIfUnused(String sha256) {
        return files.deleteUnlessUsed(sha256, () -> read(session -> Queries.isReferenced(session, sha256)));
    }

    /** Clean-up after a failure that is already being reported: a file left behind is only unused bytes. */
    private void deleteFileQuietly(String sha256) {
        try {
            deleteFileIfUnused(sha256);
        } catch (StorageException | UncheckedIOException e) {
            // kept until a later clean-up finds it unused
        }
    }

    <T> T write(SqlTask<T> task) {
        return checkpointer.admitWrite(() -> writer.execute(task));
    }

    // ---- reads: the last committed state

    @Override
    public Optional<Delivery> delivery(String messageId) {
        return read(session -> Queries.delivery(session, messageId));
    }

    @Override
    public Optional<MessageStatus> message(String messageId) {
        return read(session -> Queries.message(session, messageId));
    }

    @Override
    public List<Attempt> attempts(String messageId) {
        return read(session -> Queries.attempts(session, messageId));
    }

    @Override
    public List<MessageStatus> conversation(String phone, int limit, String beforeMessageId) {
        Objects.requireNonNull(phone, "phone");
        requirePositive(limit);
        return read(session -> Queries.conversation(session, phone, limit, beforeMessageId));
    }

    /** Read from an index, so a page costs its length. */
    @Override
    public List<Conversation> conversations(int limit, Conversation.Position before) {
        requirePositive(limit);
        return read(session -> Queries.conversations(session, limit, before));
    }

    @Override
    public Optional<Conversation> conversationOf(String phone) {
        Objects.requireNonNull(phone, "phone");
        return read(session -> Queries.conversationOf(session, phone));
    }

    @Override
    public Optional<Attachment> attachment(String attachmentId) {
        return read(session -> Queries.attachment(session, attachmentId));
    }

    @Override
    public Optional<Delivery> head(String phone, Ordering ordering) {
        Objects.requireNonNull(phone, "phone");
        return read(session -> Queue.head(session, phone, ordering));
    }

    @Override
    public Map<DeliveryState, Long> waiting(Ordering ordering) {
        return read(session -> Queue.waiting(session, ordering));
    }

    @Override
    public Map<DeliveryState, Long> counts() {
        return read(Queries::counts);
    }

    @Override
    public AttemptStats stats() {
        return read(Queries::stats);
    }

    @Override
    public AttemptMetrics metrics(List<Long> bucketMillis) {
        List<Long> buckets = List.copyOf(bucketMillis);
        return read(session -> Queries.metrics(session, buckets));
    }

    @Override
    public List<Failure> failures(int limit, Failure.Position before) {
        requirePositive(limit);
        return read(session -> Queries.failures(session, limit, before));
    }

    @Override
    public HousekeepingTotals deletedByHousekeeping() {
        return read(Pruning::totals);
    }

    /** A cheap read for health checks; false instead of an exception. */
    @Override
    public boolean isReachable() {
        try {
            return read(Queries::reachable);
        } catch (StorageException | UncheckedIOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * While an incident is open and no write has failed for a second, this probes (at most once a second): a small
     * file written and read back where uploads go, then an empty commit waited for up to a second.
     */
    @Override
    public String backend() {
        return "sqlite";
    }

    @Override
    public Optional<StorageFault> fault() {
        if (health.claimProbe()) {
            probe();
        }
        Optional<StorageFault> fault = health.fault();
        if (fault.isPresent()) {
            return fault;
        }
        return isReachable() ? Optional.empty() : Optional.of(StorageFault.UNREACHABLE);
    }

    private void probe() {
        try {
            files.probe();
            health.succeeded(StoreHealth.Part.FILES);
            writer.probe().get(PROBE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (StorageException e) {
            health.failed(StoreHealth.Part.FILES, e.fault(), e.getCause());
        } catch (ExecutionException | TimeoutException | IllegalStateException e) {
            // The writer has recorded its own failure; one still waiting on a lock is as busy as it was.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    <T> T read(SqlTask<T> query) {
        try {
            return checkpointer.admitRead(() -> readers.read(query));
        } catch (SQLException e) {
            Optional<StorageFault> fault = Faults.of(e);
            if (fault.isPresent()) {
                throw health.failed(StoreHealth.Part.DATABASE, fault.get(), e);
            }
            throw GroupCommitWriter.storageFailure(e);
        }
    }

    // SQLite treats a negative LIMIT as "no limit", which would turn a bad parameter into a full scan.
    static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
    }

    /** How many group commits the writer made: far fewer than writes when callers write concurrently. */
    long commitCount() {
        return writer.commitCount();
    }

    int queuedWrites() {
        return writer.queuedWrites();
    }

    Checkpointer.Progress checkpoint() {
        return checkpointer.checkpoint();
    }

    /**
     * Lets queued writes commit, closes every connection, then gives DATA_DIR up. Later calls throw
     * IllegalStateException.
     */
    @Override
    public void close() {
        writer.close();
        checkpointer.close();
        readers.close();
        try {
            writerSession.close();
        } catch (SQLException e) {
            throw GroupCommitWriter.storageFailure(e);
        } finally {
            releaseDataDir();
        }
    }

    private void releaseDataDir() {
        try {
            lock.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
