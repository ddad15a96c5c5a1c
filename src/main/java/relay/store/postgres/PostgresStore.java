package relay.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * The outbox on PostgreSQL, which several instances can share: messages, deliveries, every attempt and the
 * attachments' bytes, all in one database. It answers as {@code SqliteStore} does — the same contracts pass on both —
 * and differs only where instances meet: claims skip what another instance is claiming, one delivery per
 * conversation is in flight across all of them (see {@link Queue}), uploads hold their content in a row every
 * instance sees (see {@link Chunks}), and the schema is migrated once however many start together (see
 * {@link Schema}).
 *
 * <p>Every call runs in its own transaction on a pooled connection; writes return once committed. Failures are
 * thrown as {@link IllegalArgumentException} (refused, nothing kept), {@link StorageException} (the database is
 * unreachable, full, read-only or too busy; nothing kept) or {@link UncheckedIOException} (anything else).
 */
public final class PostgresStore implements DeliveryQueue, MessageReads, AttachmentStore, StoreStatus,
        AutoCloseable {
    private static final EventLog LOG = EventLog.of(PostgresStore.class);
    /**
     * Connections per instance: attempts and requests hold one for a statement or two, an upload for as long as its
     * bytes take to arrive.
     */
    public static final int DEFAULT_POOL_SIZE = 16;
    private static final String TOTALS = "SELECT kind, deleted FROM housekeeping_totals";
    private static final String INSERT_ATTACHMENT = "INSERT INTO attachments (" + Sql.ATTACHMENT_COLUMNS + ")"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String DELETE_UNSENT_ATTACHMENT = "DELETE FROM attachments WHERE id = ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages WHERE attachment_id = attachments.id) RETURNING sha256";

    private final Database database;
    private final InstantSource clock;
    private final int migrations;

    private PostgresStore(Database database, InstantSource clock, int migrations) {
        this.database = database;
        this.clock = clock;
        this.migrations = migrations;
    }

    /**
     * Connects, and migrates the schema to the current version (once, when several instances start together).
     *
     * @param jdbcUrl  {@code jdbc:postgresql://host:port/database}, without credentials
     * @param user     empty for the driver's default
     * @param password empty for none
     * @param shownAs  how messages name the database: its URL without the password
     * @throws IOException with a message fit to show the operator as it is, when the database cannot be reached or
     *                     used, or was migrated by a newer build
     */
    public static PostgresStore open(String jdbcUrl, String user, String password, String shownAs,
                                     InstantSource clock) throws IOException {
        return open(jdbcUrl, user, password, shownAs, DEFAULT_POOL_SIZE, clock);
    }

    /** As {@link #open(String, String, String, String, InstantSource)}, with up to {@code poolSize} connections. */
    public static PostgresStore open(String jdbcUrl, String user, String password, String shownAs, int poolSize,
                                     InstantSource clock) throws IOException {
        Objects.requireNonNull(clock, "clock");
        Database database = Database.open(jdbcUrl, user, password, poolSize, shownAs, clock);
        try {
            int migrations = database.transaction(Schema::migrate);
            LOG.info("store.opened", "🐘 Opened PostgreSQL at " + shownAs + (migrations == 0 ? ""
                    : " and applied " + migrations + " schema migration(s)"),
                    "database", shownAs, "migrations", migrations, "schema_version", Schema.CURRENT_VERSION);
            return new PostgresStore(database, clock, migrations);
        } catch (RuntimeException e) {
            database.close();
            throw new IOException("PostgreSQL at " + shownAs + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** How many migrations opening this store ran: none when another instance had migrated already. */
    int migrationsApplied() {
        return migrations;
    }

    <T> T transaction(Database.Work<T> work) {
        return database.transaction(work);
    }

    // ---- the queue

    @Override
    public Message accept(NewMessage message, DeliveryState initial) {
        Objects.requireNonNull(message, "message");
        if (initial != DeliveryState.QUEUED && initial != DeliveryState.HELD) {
            throw new IllegalArgumentException("a new delivery is queued or held, not " + initial.wireName());
        }
        return transaction(connection -> Updates.accept(connection, message, initial, clock.instant()));
    }

    @Override
    public List<Claim> claim(Instant now, int limit, String owner, Duration lease, Ordering ordering) {
        requirePositive(limit);
        return transaction(connection -> Queue.claim(connection, now, limit, owner, lease, ordering, false));
    }

    @Override
    public Optional<Claim> claimProbe(Instant now, String owner, Duration lease, Ordering ordering) {
        return transaction(connection -> Queue.claim(connection, now, 1, owner, lease, ordering, true)).stream()
                .findFirst();
    }

    @Override
    public boolean renew(Claim claim, Instant now, Duration lease) {
        return transaction(connection -> Queue.renew(connection, claim, StoredRows.stored(now.plus(lease))));
    }

    @Override
    public boolean complete(Claim claim, Attempt attempt, DeliveryState next, Instant nextAttemptAt,
                            String lastError) {
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(next, "next");
        return transaction(connection -> Queue.complete(connection, claim, attempt, next, nextAttemptAt, lastError,
                clock.instant()));
    }

    @Override
    public boolean reschedule(Claim claim, Instant at) {
        return transaction(connection -> Queue.reschedule(connection, claim, at, clock.instant()));
    }

    @Override
    public List<String> hold(Instant now) {
        return transaction(connection -> Queue.hold(connection, now));
    }

    @Override
    public List<String> release(Instant now) {
        return transaction(connection -> Queue.release(connection, now));
    }

    @Override
    public boolean requeue(String messageId, boolean force) {
        Objects.requireNonNull(messageId, "messageId");
        return transaction(connection -> Queue.requeue(connection, messageId, force, clock.instant()));
    }

    @Override
    public List<String> requeueAllFailed() {
        return transaction(connection -> Queue.requeueAllFailed(connection, clock.instant()));
    }

    @Override
    public boolean skip(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        return transaction(connection -> Queue.skip(connection, messageId, clock.instant()));
    }

    @Override
    public Optional<Instant> nextDue(Instant now, Ordering ordering) {
        return transaction(connection -> Queue.nextDue(connection, now, ordering));
    }

    @Override
    public Optional<Delivery> delivery(String messageId) {
        return transaction(connection -> Sql.first(connection, Queries.DELIVERY, StoredRows::delivery, messageId));
    }

    // ---- attachments

    @Override
    public Written upload(InputStream in, long maxBytes) throws IOException {
        return Chunks.upload(database, in, maxBytes, clock.instant());
    }

    @Override
    public void saveAttachment(Attachment attachment) {
        Objects.requireNonNull(attachment, "attachment");
        boolean saved = false;
        try {
            transaction(connection -> {
                Chunks.lockContent(connection, attachment.sha256());
                if (!Chunks.isStored(connection, attachment.sha256())) {
                    throw new StorageException(StorageFault.UNREACHABLE, Faults.PART,
                            "the content of " + attachment.id() + " is missing", null);
                }
                Sql.update(connection, INSERT_ATTACHMENT, attachment.id(), attachment.kind().wireName(),
                        attachment.filename(), attachment.mimeType(), attachment.size(), attachment.sha256(),
                        attachment.createdAt());
                Chunks.release(connection, attachment.sha256());
                return null;
            });
            saved = true;
        } finally {
            if (!saved) {
                discardQuietly(attachment.sha256());
            }
        }
    }

    /** Clean-up after a failure that is already being reported: content left behind is only unused bytes. */
    private void discardQuietly(String sha256) {
        try {
            discardUnreferencedFile(sha256);
        } catch (StorageException | UncheckedIOException e) {
            // kept until a later clean-up finds it unused
        }
    }

    @Override
    public boolean discardUnreferencedFile(String sha256) {
        return transaction(connection -> {
            Chunks.lockContent(connection, sha256);
            Chunks.release(connection, sha256);
            return Chunks.deleteIfUnused(connection, sha256);
        });
    }

    /** The attachment row and, unless others share it, its content go in one transaction. */
    @Override
    public boolean discardAttachment(String attachmentId) {
        Objects.requireNonNull(attachmentId, "attachmentId");
        return transaction(connection -> {
            Optional<String> sha256 = Sql.first(connection, DELETE_UNSENT_ATTACHMENT, row -> row.getString(1),
                    attachmentId);
            if (sha256.isPresent()) {
                Chunks.deleteIfUnused(connection, sha256.get());
            }
            return sha256.isPresent();
        });
    }

    @Override
    public Optional<Attachment> attachment(String attachmentId) {
        return transaction(connection -> Sql.first(connection, Queries.ATTACHMENT, StoredRows::attachment, attachmentId));
    }

    @Override
    public SeekableByteChannel open(String sha256) {
        return Chunks.open(database, sha256);
    }

    // ---- reads

    @Override
    public Optional<MessageStatus> message(String messageId) {
        return transaction(connection -> Queries.message(connection, messageId));
    }

    @Override
    public List<Attempt> attempts(String messageId) {
        return transaction(connection -> Sql.list(connection, Queries.ATTEMPTS, StoredRows::attempt, messageId));
    }

    @Override
    public List<MessageStatus> conversation(String phone, int limit, String beforeMessageId) {
        Objects.requireNonNull(phone, "phone");
        requirePositive(limit);
        return transaction(connection -> Queries.conversation(connection, phone, limit, beforeMessageId));
    }

    @Override
    public List<Conversation> conversations(int limit, Conversation.Position before) {
        requirePositive(limit);
        return transaction(connection -> Queries.conversations(connection, limit, before));
    }

    @Override
    public Optional<Conversation> conversationOf(String phone) {
        Objects.requireNonNull(phone, "phone");
        return transaction(connection -> Queries.conversationOf(connection, phone));
    }

    @Override
    public Map<DeliveryState, Long> counts() {
        return transaction(Queries::counts);
    }

    @Override
    public Optional<Delivery> head(String phone, Ordering ordering) {
        Objects.requireNonNull(phone, "phone");
        return transaction(connection -> Queue.head(connection, phone, ordering));
    }

    @Override
    public Map<DeliveryState, Long> waiting(Ordering ordering) {
        return transaction(connection -> Queue.waiting(connection, ordering));
    }

    @Override
    public AttemptStats stats() {
        return transaction(Queries::stats);
    }

    @Override
    public AttemptMetrics metrics(List<Long> bucketMillis) {
        List<Long> buckets = List.copyOf(bucketMillis);
        return transaction(connection -> Queries.metrics(connection, buckets));
    }

    @Override
    public List<Failure> failures(int limit, Failure.Position before) {
        requirePositive(limit);
        return transaction(connection -> Queries.failures(connection, limit, before));
    }

    // ---- health

    @Override
    public HousekeepingTotals deletedByHousekeeping() {
        return transaction(connection -> {
            HousekeepingTotals[] totals = {HousekeepingTotals.NONE};
            Sql.list(connection, TOTALS, row -> totals[0] = totals[0].plus(
                    HousekeepingTotals.Kind.fromLabel(row.getString(1)), row.getLong(2)));
            return totals[0];
        });
    }

    /** A cheap read for health checks; false instead of an exception. */
    @Override
    public boolean isReachable() {
        try {
            return transaction(connection -> Sql.exists(connection, "SELECT 1"));
        } catch (StorageException | UncheckedIOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * While an incident is open and nothing failed for a second, this probes (at most once a second) with a small
     * commit, so recovery shows without waiting for a client's write.
     */
    @Override
    public String backend() {
        return "postgresql";
    }

    @Override
    public Optional<StorageFault> fault() {
        if (database.claimProbe()) {
            probe();
        }
        Optional<StorageFault> fault = database.fault();
        if (fault.isPresent()) {
            return fault;
        }
        return isReachable() ? Optional.empty() : Optional.of(StorageFault.UNREACHABLE);
    }

    private void probe() {
        try {
            transaction(connection -> Sql.update(connection, "UPDATE health_probe SET at = ? WHERE id = 1",
                    clock.instant()));
        } catch (StorageException | UncheckedIOException e) {
            // recorded by the database's own bookkeeping
        }
    }

    static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
    }

    /** Closes every connection. Later calls throw IllegalStateException. */
    @Override
    public void close() {
        database.close();
    }
}
