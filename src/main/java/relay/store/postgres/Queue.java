package relay.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.MessageStatus;
import relay.domain.Ordering;
import relay.store.Claim;
import relay.store.jdbc.StoredRows;

/**
 * The deliveries table as the engine's queue, shared by every instance on the database: what is due, which delivery
 * is the head of its conversation, claims with a lease, and the fenced writes of their outcomes. The rules are
 * SQLite's (relay.store.sqlite.Queue); what differs is how instances claiming at once are kept apart.
 *
 * <p><b>Claims.</b> One statement picks the due heads and marks them: {@code FOR UPDATE SKIP LOCKED} in a
 * materialized CTE (so the pick runs once and its LIMIT holds), then an UPDATE of exactly those rows. Instances never
 * wait on each other: a row another claim is taking is skipped, and one it took meanwhile is re-checked by
 * PostgreSQL against the due condition (its lease now runs) and dropped.
 *
 * <p><b>One in flight per conversation, without a lock per phone.</b> A delivery is a head only while no earlier
 * delivery of its phone is unfinished; so in any snapshot a phone has at most one head, its first unfinished
 * delivery, and the only row whose change can make a later one the head is that head itself — the row a claim
 * locks. A finished delivery never becomes unfinished in front of the others: a resend moves it to the back of its
 * conversation in the same write. So two claims, on this instance or another, can never both see a head of one
 * phone that is not the same row, and the row lock lets only one of them take it. An advisory lock per phone would
 * serialize every claim of a phone for nothing, and would not make the guard any stronger. (Positions themselves are
 * handed out under an advisory lock per phone: see {@link Updates#lockLine}.)
 */
final class Queue {
    private static final String QUEUED = DeliveryState.QUEUED.wireName();
    private static final String SENDING = DeliveryState.SENDING.wireName();
    private static final String RETRYING = DeliveryState.RETRYING.wireName();
    private static final String HELD = DeliveryState.HELD.wireName();
    private static final String FAILED = DeliveryState.FAILED.wireName();
    /** Word for word the condition of the partial index deliveries_due. */
    private static final String IN_LINE = "d.state IN ('" + QUEUED + "', '" + RETRYING + "', '" + SENDING + "', '"
            + HELD + "')";
    private static final String UNFINISHED = "('" + QUEUED + "', '" + SENDING + "', '" + RETRYING + "', '" + HELD
            + "')";
    private static final String NOT_HELD = " AND d.state <> '" + HELD + "'";
    private static final String EARLIER_UNFINISHED = "EXISTS (SELECT 1 FROM deliveries e WHERE e.phone = d.phone"
            + " AND e.state IN " + UNFINISHED + " AND e.position < d.position)";
    private static final String EARLIER_FAILED = "EXISTS (SELECT 1 FROM deliveries e WHERE e.phone = d.phone"
            + " AND e.state = '" + FAILED + "' AND e.skipped_at IS NULL AND e.position < d.position)";
    // line, the order rows were inserted in, breaks ties: what was accepted (or released) first goes first.
    private static final String DUE_ORDER = " ORDER BY d.next_attempt_at, d.line";
    private static final String CLAIMED = "SELECT " + Sql.STATUS_COLUMNS + Sql.STATUS_FROM + " WHERE m.id = ANY (?)";
    private static final String FENCE = " WHERE message_id = ? AND claim_token = ?";
    private static final String UNCLAIM = "claimed_by = NULL, claim_token = NULL, lease_until = NULL";
    private static final String RENEW = "UPDATE deliveries SET lease_until = ?, next_attempt_at = ?" + FENCE;
    private static final String COMPLETE = "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?,"
            + " last_error = ?, updated_at = ?, " + UNCLAIM + FENCE;
    private static final String RESCHEDULE = "UPDATE deliveries SET state = '" + RETRYING + "', next_attempt_at = ?,"
            + " updated_at = ?, " + UNCLAIM + FENCE;
    private static final String INSERT_ATTEMPT = "INSERT INTO attempts (" + Sql.ATTEMPT_COLUMNS + ", succeeded)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String DUE_TO_HOLD = " FROM deliveries d WHERE " + IN_LINE + " AND d.state IN ('" + QUEUED
            + "', '" + RETRYING + "') AND d.next_attempt_at <= ?";
    // Locked in due order, as claims lock them; a row a claim took meanwhile is re-checked and is no longer due.
    private static final String HOLD = "WITH due AS MATERIALIZED (SELECT d.message_id, d.next_attempt_at, d.line"
            + DUE_TO_HOLD + DUE_ORDER + " FOR UPDATE) UPDATE deliveries SET state = '" + HELD + "', updated_at = ?"
            + " FROM due WHERE deliveries.message_id = due.message_id"
            + " RETURNING deliveries.message_id, due.next_attempt_at, due.line";
    private static final String RELEASE = "UPDATE deliveries SET state = '" + QUEUED + "', next_attempt_at = ?,"
            + " updated_at = ? WHERE state = '" + HELD + "' RETURNING message_id, line";
    private static final String STATE_OF = "SELECT state, phone FROM deliveries WHERE message_id = ? FOR UPDATE";
    private static final String RESET = "UPDATE deliveries SET state = '" + QUEUED + "', attempts = 0,"
            + " last_error = NULL, next_attempt_at = ?, updated_at = ?, skipped_at = NULL, " + UNCLAIM;
    private static final String REQUEUE_IN_PLACE = RESET + " WHERE message_id = ?";
    private static final String REQUEUE_TO_THE_BACK = RESET + ", position = ? WHERE message_id = ?";
    private static final String FAILED_OLDEST_FIRST = "SELECT d.message_id FROM deliveries d"
            + " JOIN messages m ON m.id = d.message_id WHERE d.state = '" + FAILED + "' ORDER BY m.created_at, m.id";
    private static final String SKIP = "UPDATE deliveries SET state = '" + FAILED + "', skipped_at = ?,"
            + " last_error = 'skipped by the operator' || COALESCE(' (' || last_error || ')', ''),"
            + " next_attempt_at = NULL, updated_at = ?, " + UNCLAIM + " WHERE message_id = ? AND skipped_at IS NULL"
            + " AND state IN ('" + QUEUED + "', '" + RETRYING + "', '" + HELD + "', '" + FAILED + "')";

    private Queue() {
    }

    /** Whether some delivery of d's phone holds d back under {@code ordering}; SQL on the alias d. */
    private static String heldBack(Ordering ordering) {
        return switch (ordering) {
            case NONE -> "FALSE";
            case CONVERSATION -> EARLIER_UNFINISHED;
            case STRICT -> "(" + EARLIER_UNFINISHED + " OR " + EARLIER_FAILED + ")";
        };
    }

    private static String claimStatement(Ordering ordering, boolean withHeld) {
        return "WITH picked AS MATERIALIZED (SELECT d.message_id, d.next_attempt_at, d.line FROM deliveries d WHERE "
                + IN_LINE + (withHeld ? "" : NOT_HELD) + " AND d.next_attempt_at <= ? AND NOT " + heldBack(ordering)
                + DUE_ORDER + " LIMIT ? FOR UPDATE SKIP LOCKED)"
                + " UPDATE deliveries SET state = '" + SENDING + "', claimed_by = ?,"
                + " claim_token = gen_random_uuid()::text,"
                + " lease_until = ?, next_attempt_at = ?, updated_at = ? FROM picked"
                + " WHERE deliveries.message_id = picked.message_id"
                + " RETURNING deliveries.message_id, deliveries.claim_token, picked.next_attempt_at, picked.line";
    }

    private record Picked(String messageId, String token, long dueAt, long line) {
    }

    /** Claims up to {@code limit} due heads, oldest due first, in one statement; then reads what was claimed. */
    static List<Claim> claim(Connection connection, Instant now, int limit, String owner, Duration lease,
                             Ordering ordering, boolean withHeld) throws SQLException {
        Instant leaseUntil = StoredRows.stored(now.plus(lease));
        List<Picked> picked = new ArrayList<>(Sql.list(connection, claimStatement(ordering, withHeld),
                row -> new Picked(row.getString(1), row.getString(2), row.getLong(3), row.getLong(4)),
                now, limit, owner, leaseUntil, leaseUntil, now));
        // RETURNING gives no order: put the claims back in the order they came due.
        picked.sort((a, b) -> a.dueAt() != b.dueAt() ? Long.compare(a.dueAt(), b.dueAt())
                : Long.compare(a.line(), b.line()));
        if (picked.isEmpty()) {
            return List.of();
        }
        Map<String, MessageStatus> claimed = new HashMap<>();
        Sql.list(connection, CLAIMED, row -> claimed.put(row.getString(1), StoredRows.messageStatus(row)),
                connection.createArrayOf("text", picked.stream().map(Picked::messageId).toArray()));
        return picked.stream().map(one -> new Claim(claimed.get(one.messageId()), owner, one.token(), leaseUntil))
                .toList();
    }

    static boolean renew(Connection connection, Claim claim, Instant leaseUntil) throws SQLException {
        return Sql.update(connection, RENEW, leaseUntil, leaseUntil, claim.messageId(), claim.token()) == 1;
    }

    /** Writes the attempt and where the delivery goes next, if the claim still holds; else nothing. */
    static boolean complete(Connection connection, Claim claim, Attempt attempt, DeliveryState next,
                            Instant nextAttemptAt, String lastError, Instant now) throws SQLException {
        if (Sql.update(connection, COMPLETE, next.wireName(), attempt.number(), nextAttemptAt, lastError, now,
                claim.messageId(), claim.token()) == 0) {
            return false;
        }
        Sql.update(connection, INSERT_ATTEMPT, attempt.messageId(), attempt.number(), attempt.startedAt(),
                attempt.durationMillis(), attempt.statusCode(), attempt.error(), attempt.responseSnippet(),
                attempt.success());
        return true;
    }

    static boolean reschedule(Connection connection, Claim claim, Instant at, Instant now) throws SQLException {
        return Sql.update(connection, RESCHEDULE, at, now, claim.messageId(), claim.token()) == 1;
    }

    /** Holds every due queued or retrying delivery; their ids, oldest due first. */
    static List<String> hold(Connection connection, Instant now) throws SQLException {
        record Held(String id, long dueAt, long line) {
        }
        List<Held> held = new ArrayList<>(Sql.list(connection, HOLD,
                row -> new Held(row.getString(1), row.getLong(2), row.getLong(3)), now, now));
        held.sort((a, b) -> a.dueAt() != b.dueAt() ? Long.compare(a.dueAt(), b.dueAt())
                : Long.compare(a.line(), b.line()));
        return held.stream().map(Held::id).toList();
    }

    /** Queues every held delivery, due now, so that they go in the order they were queued; their ids so. */
    static List<String> release(Connection connection, Instant now) throws SQLException {
        record Released(String id, long line) {
        }
        List<Released> released = new ArrayList<>(Sql.list(connection, RELEASE,
                row -> new Released(row.getString(1), row.getLong(2)), now, now));
        released.sort((a, b) -> Long.compare(a.line(), b.line()));
        return released.stream().map(Released::id).toList();
    }

    /**
     * A fresh delivery, due now: a failed one (a delivered one with {@code force}) goes to the back of its
     * conversation, since the rest went on without it; a held one keeps its place, which it never left.
     */
    static boolean requeue(Connection connection, String messageId, boolean force, Instant now) throws SQLException {
        Optional<String[]> row = Sql.first(connection, STATE_OF, r -> new String[] {r.getString(1), r.getString(2)},
                messageId);
        if (row.isEmpty()) {
            return false;
        }
        DeliveryState state = DeliveryState.fromWireName(row.get()[0]);
        boolean toTheBack = state == DeliveryState.FAILED || (force && state == DeliveryState.DELIVERED);
        if (!toTheBack && state != DeliveryState.HELD) {
            return false;
        }
        if (!toTheBack) {
            return Sql.update(connection, REQUEUE_IN_PLACE, now, now, messageId) == 1;
        }
        String phone = row.get()[1];
        Updates.lockLine(connection, phone);
        return Sql.update(connection, REQUEUE_TO_THE_BACK, now, now, Updates.lastPosition(connection, phone) + 1,
                messageId) == 1;
    }

    static List<String> requeueAllFailed(Connection connection, Instant now) throws SQLException {
        List<String> ids = Sql.list(connection, FAILED_OLDEST_FIRST, row -> row.getString(1));
        List<String> requeued = new ArrayList<>();
        for (String id : ids) {
            if (requeue(connection, id, false, now)) {
                requeued.add(id);
            }
        }
        return requeued;
    }

    static boolean skip(Connection connection, String messageId, Instant now) throws SQLException {
        return Sql.update(connection, SKIP, now, now, messageId) == 1;
    }

    // ---- reads

    /** When the earliest head that is not due yet will be: what to wake up for. */
    static Optional<Instant> nextDue(Connection connection, Instant now, Ordering ordering) throws SQLException {
        return Sql.first(connection, "SELECT d.next_attempt_at FROM deliveries d WHERE " + IN_LINE + NOT_HELD
                + " AND d.next_attempt_at > ? AND NOT " + heldBack(ordering) + DUE_ORDER + " LIMIT 1",
                row -> StoredRows.instant(row, 1), now);
    }

    /** The delivery the later ones of {@code phone} wait for: the first in line that blocks them. */
    static Optional<Delivery> head(Connection connection, String phone, Ordering ordering) throws SQLException {
        String blocking = switch (ordering) {
            case NONE -> null;
            case CONVERSATION -> "d.state IN " + UNFINISHED;
            case STRICT -> "(d.state IN " + UNFINISHED + " OR (d.state = '" + FAILED + "' AND d.skipped_at IS NULL))";
        };
        if (blocking == null) {
            return Optional.empty();
        }
        return Sql.first(connection, "SELECT " + Sql.deliveryColumns("d.") + " FROM deliveries d WHERE d.phone = ?"
                + " AND " + blocking + " ORDER BY d.position LIMIT 1", StoredRows::delivery, phone);
    }

    /** How many queued, retrying and held deliveries wait for an earlier one of their phone, by state. */
    static Map<DeliveryState, Long> waiting(Connection connection, Ordering ordering) throws SQLException {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        Sql.list(connection, "SELECT d.state, COUNT(*) FROM deliveries d WHERE " + IN_LINE + " AND d.state <> '"
                + SENDING + "' AND " + heldBack(ordering) + " GROUP BY d.state",
                row -> counts.put(DeliveryState.fromWireName(row.getString(1)), row.getLong(2)));
        return Collections.unmodifiableMap(counts);
    }
}
