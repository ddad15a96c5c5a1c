package relay.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import relay.domain.DeliveryState;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.Housekeeping;
import relay.store.HousekeepingTotals;
import relay.store.HousekeepingTotals.Kind;

/**
 * What SQLite's housekeeper deletes, on PostgreSQL: uploads no message used once {@code ORPHAN_UPLOAD_HOURS} have
 * passed, delivered and failed messages once {@code RETENTION_DAYS} have passed, and attachment content nothing uses
 * any more (with the holds of uploads that never finished, left by an instance that stopped mid-upload). Each batch
 * is one transaction; rows another transaction is using are skipped, not waited for.
 *
 * <p>Every instance runs it, but one at a time: a batch starts only under a try-lock that another instance's batch
 * holds, and a run that finds it taken leaves the rest to that instance.
 */
public final class PostgresHousekeeper implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(PostgresHousekeeper.class);
    private static final int BATCH = 500;
    /** The key space of advisory locks for housekeeping (lines are 1, contents 2). */
    private static final int HOUSEKEEPING_LOCK = 3;
    private static final String FINISHED = "('" + DeliveryState.DELIVERED.wireName() + "', '"
            + DeliveryState.FAILED.wireName() + "')";
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(?, 0)";
    // An upload a message is being accepted with is locked by the accept (FOR KEY SHARE), and skipped here.
    private static final String DELETE_ORPHAN_UPLOADS = "DELETE FROM attachments WHERE id IN (SELECT a.id"
            + " FROM attachments a WHERE a.created_at < ? AND NOT EXISTS (SELECT 1 FROM messages m"
            + " WHERE m.attachment_id = a.id) ORDER BY a.created_at, a.id LIMIT ? FOR UPDATE SKIP LOCKED)"
            + " RETURNING sha256";
    // Finished before the cutoff, not only created before it: a message held for weeks and delivered today stays.
    private static final String EXPIRED_MESSAGES = "SELECT m.id, m.phone, m.sequence, m.attachment_id"
            + " FROM messages m JOIN deliveries d ON d.message_id = m.id"
            + " WHERE m.created_at < ? AND d.updated_at < ? AND d.state IN " + FINISHED
            + " ORDER BY m.created_at, m.id LIMIT ? FOR UPDATE OF d SKIP LOCKED";
    private static final String DELETE_ATTEMPTS = "DELETE FROM attempts WHERE message_id = ?";
    private static final String DELETE_DELIVERY = "DELETE FROM deliveries WHERE message_id = ?";
    private static final String DELETE_MESSAGE = "DELETE FROM messages WHERE id = ?";
    private static final String RETIRE_SEQUENCE = "INSERT INTO retired_sequences (phone, last_sequence) VALUES (?, ?)"
            + " ON CONFLICT (phone) DO UPDATE SET last_sequence = GREATEST(retired_sequences.last_sequence,"
            + " excluded.last_sequence)";
    private static final String DELETE_UNUSED_ATTACHMENT = "DELETE FROM attachments a WHERE a.id = ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = a.id) RETURNING sha256";
    private static final String DROP_STALE_HOLDS = "DELETE FROM upload_holds WHERE held_at < ?";
    private static final String STALE_STAGING = "SELECT staging_key FROM upload_staging WHERE started_at < ?"
            + " ORDER BY staging_key LIMIT ?";
    private static final String UNUSED_CONTENT = "SELECT c.sha256 FROM attachment_contents c WHERE c.stored_at < ?"
            + " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = c.sha256)"
            + " AND NOT EXISTS (SELECT 1 FROM upload_holds h WHERE h.sha256 = c.sha256) ORDER BY c.sha256 LIMIT ?";
    private static final String COUNT = "INSERT INTO housekeeping_totals (kind, deleted) VALUES (?, ?)"
            + " ON CONFLICT (kind) DO UPDATE SET deleted = housekeeping_totals.deleted + excluded.deleted";

    private final PostgresStore store;
    private final Duration orphanUploadAge;
    private final Optional<Duration> retention;
    private final InstantSource clock;
    private final int batch;
    private volatile Housekeeping schedule;
    private volatile boolean closed;

    PostgresHousekeeper(PostgresStore store, Duration orphanUploadAge, Optional<Duration> retention,
                        InstantSource clock, int batch) {
        this.store = Objects.requireNonNull(store, "store");
        this.orphanUploadAge = Objects.requireNonNull(orphanUploadAge, "orphanUploadAge");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.batch = batch;
    }

    /**
     * Runs at once on {@code timer}, then every {@link Housekeeping#PERIOD}.
     *
     * @param retention how long finished messages are kept; empty = forever
     */
    public static PostgresHousekeeper start(PostgresStore store, Duration orphanUploadAge,
                                            Optional<Duration> retention, InstantSource clock, Scheduler timer) {
        PostgresHousekeeper housekeeper = new PostgresHousekeeper(store, orphanUploadAge, retention, clock, BATCH);
        housekeeper.schedule = Housekeeping.start(housekeeper::run, timer);
        return housekeeper;
    }

    /** One run now, on the caller's thread; what it deleted. */
    HousekeepingTotals run() {
        Instant now = clock.instant();
        Instant uploadCutoff = now.minus(orphanUploadAge);
        HousekeepingTotals deleted = prune(connection -> orphanUploads(connection, uploadCutoff));
        if (retention.isPresent()) {
            Instant messageCutoff = now.minus(retention.get());
            deleted = deleted.plus(prune(connection -> expiredMessages(connection, messageCutoff)));
        }
        deleted = deleted.plus(prune(connection -> unusedContent(connection, uploadCutoff)));
        Housekeeping.report(LOG, deleted);
        return deleted;
    }

    /** One batch's deletions, and how many rows it took up (a full batch means there may be more). */
    private record Step(HousekeepingTotals deleted, int rows) {
    }

    /**
     * Runs batches until one comes back short, the service stops, or another instance is housekeeping; each batch
     * counts what it deleted in the stored totals, in its own transaction.
     */
    private HousekeepingTotals prune(Database.Work<Step> step) {
        HousekeepingTotals deleted = HousekeepingTotals.NONE;
        Optional<Step> done;
        do {
            done = store.transaction(connection -> {
                if (!Sql.first(connection, TRY_LOCK, row -> row.getBoolean(1), HOUSEKEEPING_LOCK).orElseThrow()) {
                    return Optional.empty();
                }
                Step pruned = step.apply(connection);
                for (Kind kind : Kind.values()) {
                    if (pruned.deleted().of(kind) > 0) {
                        Sql.update(connection, COUNT, kind.label(), pruned.deleted().of(kind));
                    }
                }
                return Optional.of(pruned);
            });
            if (done.isPresent()) {
                deleted = deleted.plus(done.get().deleted());
            }
        } while (done.isPresent() && done.get().rows() == batch && !closed);
        return deleted;
    }

    private Step orphanUploads(Connection connection, Instant cutoff) throws SQLException {
        List<String> sha256s = Sql.list(connection, DELETE_ORPHAN_UPLOADS, row -> row.getString(1), cutoff, batch);
        return new Step(HousekeepingTotals.NONE.plus(Kind.ORPHAN_UPLOAD, sha256s.size())
                .plus(Kind.FILE, deleteContents(connection, new LinkedHashSet<>(sha256s))), sha256s.size());
    }

    private record Expired(String id, String phone, long sequence, String attachmentId) {
    }

    /**
     * Delivered and failed messages finished before {@code cutoff}, with their delivery, attempts, and attachment and
     * content when nothing else uses them; each phone's highest deleted sequence is kept, so numbering never goes
     * back.
     */
    private Step expiredMessages(Connection connection, Instant cutoff) throws SQLException {
        List<Expired> found = Sql.list(connection, EXPIRED_MESSAGES, row -> new Expired(row.getString(1),
                row.getString(2), row.getLong(3), row.getString(4)), cutoff, cutoff, batch);
        Set<String> sha256s = new LinkedHashSet<>();
        for (Expired message : found) {
            for (String delete : List.of(DELETE_ATTEMPTS, DELETE_DELIVERY, DELETE_MESSAGE)) {
                Sql.update(connection, delete, message.id());
            }
            Sql.update(connection, RETIRE_SEQUENCE, message.phone(), message.sequence());
            if (message.attachmentId() != null) {
                Sql.first(connection, DELETE_UNUSED_ATTACHMENT, row -> row.getString(1), message.attachmentId())
                        .ifPresent(sha256s::add);
            }
        }
        return new Step(HousekeepingTotals.NONE.plus(Kind.MESSAGE, found.size())
                .plus(Kind.FILE, deleteContents(connection, sha256s)), found.size());
    }

    /**
     * Content no attachment names, stored before {@code cutoff}: an upload's that was refused or never recorded. An
     * upload holds its content only until its row is saved, and stages its chunks only while its bytes arrive, so a
     * hold or a staging older than the cutoff belongs to an instance that stopped mid-upload, and goes first.
     */
    private Step unusedContent(Connection connection, Instant cutoff) throws SQLException {
        Sql.update(connection, DROP_STALE_HOLDS, cutoff);
        List<String> staged = Sql.list(connection, STALE_STAGING, row -> row.getString(1), cutoff, batch);
        for (String staging : staged) {
            Chunks.discardStaging(connection, staging);
        }
        List<String> sha256s = Sql.list(connection, UNUSED_CONTENT, row -> row.getString(1), cutoff, batch);
        return new Step(HousekeepingTotals.NONE.plus(Kind.FILE, deleteContents(connection, sha256s)),
                Math.max(staged.size(), sha256s.size()));
    }

    private static long deleteContents(Connection connection, Iterable<String> sha256s) throws SQLException {
        long deleted = 0;
        for (String sha256 : sha256s) {
            if (Chunks.deleteIfUnused(connection, sha256)) {
                deleted++;
            }
        }
        return deleted;
    }

    /** Ends the runs: waits for one under way, which stops at its next batch; the next one will not run. */
    @Override
    public void close() {
        closed = true;
        Housekeeping running = schedule;
        if (running != null) {
            running.close();
        }
    }
}
