package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.MessageStatus;
import relay.domain.Ordering;
import relay.store.Claim;

/**
 * The deliveries table as the engine's queue: what is due, which delivery is the head of its conversation, claims
 * with a lease, and the fenced writes of their outcomes. Writes run on the writer thread inside its savepoint, so a
 * claim's select and its update are one atomic step; reads run on a reader.
 *
 * <p>A delivery is <em>due</em> when it is queued, retrying or sending (a lease that ran out) and its
 * {@code next_attempt_at} has come; held ones are due only to the probe. It is the <em>head</em> of its conversation
 * when no delivery of its phone with a smaller position blocks it: under {@link Ordering#CONVERSATION} an unfinished
 * one, under {@link Ordering#STRICT} also a failed one nobody skipped; under {@link Ordering#NONE} every delivery is.
 * Both tests walk indexes: {@code deliveries_due} in due order, {@code deliveries_in_line} per phone and state.
 */
final class Queue {
    private static final String QUEUED = DeliveryState.QUEUED.wireName();
    private static final String SENDING = DeliveryState.SENDING.wireName();
    private static final String RETRYING = DeliveryState.RETRYING.wireName();
    private static final String HELD = DeliveryState.HELD.wireName();
    private static final String FAILED = DeliveryState.FAILED.wireName();
    /**
     * Word for word the condition of the partial index deliveries_due, which the due-order reads name: without
     * statistics SQLite would rather read deliveries_by_state and sort every due row.
     */
    private static final String IN_LINE = "d.state IN ('" + QUEUED + "', '" + RETRYING + "', '" + SENDING + "', '"
            + HELD + "')";
    private static final String UNFINISHED = "('" + QUEUED + "', '" + SENDING + "', '" + RETRYING + "', '" + HELD
            + "')";
    /** Held deliveries wait for the circuit; only the probe takes one. */
    private static final String NOT_HELD = " AND d.state <> '" + HELD + "'";
    // Rows of one phone in line before d: one seek of deliveries_in_line per state.
    private static final String EARLIER_UNFINISHED = "EXISTS (SELECT 1 FROM deliveries e WHERE e.phone = d.phone"
            + " AND e.state IN " + UNFINISHED + " AND e.position < d.position)";
    private static final String EARLIER_FAILED = "EXISTS (SELECT 1 FROM deliveries e WHERE e.phone = d.phone"
            + " AND e.state = '" + FAILED + "' AND e.skipped_at IS NULL AND e.position < d.position)";
    // rowid, the order rows were inserted in, breaks ties: what was accepted (or released) first goes first.
    private static final String DUE_ORDER = " ORDER BY d.next_attempt_at, d.rowid";
    private static final String CLAIM = "UPDATE deliveries SET state = '" + SENDING + "', claimed_by = ?,"
            + " claim_token = ?, lease_until = ?, next_attempt_at = ?, updated_at = ? WHERE message_id = ?";
    private static final String CLAIMED = "SELECT " + Rows.STATUS_COLUMNS + Rows.STATUS_FROM + " WHERE m.id = ?";
    private static final String FENCE = " WHERE message_id = ? AND claim_token = ?";
    private static final String UNCLAIM = "claimed_by = NULL, claim_token = NULL, lease_until = NULL";
    private static final String RENEW = "UPDATE deliveries SET lease_until = ?, next_attempt_at = ?" + FENCE;
    private static final String COMPLETE = "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?,"
            + " last_error = ?, updated_at = ?, " + UNCLAIM + FENCE;
    // Given back without an attempt, to be tried again at its time.
    private static final String RESCHEDULE = "UPDATE deliveries SET state = '" + RETRYING + "', next_attempt_at = ?,"
            + " updated_at = ?, " + UNCLAIM + FENCE;
    private static final String INSERT_ATTEMPT = "INSERT INTO attempts (" + Rows.ATTEMPT_COLUMNS + ", succeeded)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String DUE_FROM = " FROM deliveries d INDEXED BY deliveries_due WHERE ";
    private static final String DUE_TO_HOLD = DUE_FROM + IN_LINE + " AND d.state IN ('" + QUEUED
            + "', '" + RETRYING + "') AND d.next_attempt_at <= ?";
    private static final String HOLD = "UPDATE deliveries SET state = '" + HELD + "', updated_at = ? WHERE message_id"
            + " IN (SELECT d.message_id" + DUE_TO_HOLD + ")";
    private static final String HELD_IN_ORDER = "SELECT d.message_id FROM deliveries d WHERE d.state = '" + HELD + "'"
            + " ORDER BY d.rowid";
    private static final String RELEASE = "UPDATE deliveries SET state = '" + QUEUED + "', next_attempt_at = ?,"
            + " updated_at = ? WHERE state = '" + HELD + "'";
    private static final String STATE_OF = "SELECT state, phone FROM deliveries WHERE message_id = ?";
    // One seek of deliveries_in_line per state: cheaper than one more index to keep on every write.
    static final String LAST_POSITION = "SELECT COALESCE(MAX(p), 0) FROM (" + Arrays.stream(
                    DeliveryState.values())
            .map(state -> "SELECT MAX(position) AS p FROM deliveries WHERE phone = ?1 AND state = '"
                    + state.wireName() + "'")
            .collect(Collectors.joining(" UNION ALL ")) + ")";
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
            case NONE -> "0";
            case CONVERSATION -> EARLIER_UNFINISHED;
            case STRICT -> "(" + EARLIER_UNFINISHED + " OR " + EARLIER_FAILED + ")";
        };
    }

    static String dueHeads(Ordering ordering, boolean withHeld) {
        return "SELECT d.message_id" + DUE_FROM + IN_LINE + (withHeld ? "" : NOT_HELD)
                + " AND d.next_attempt_at <= ? AND NOT " + heldBack(ordering) + DUE_ORDER + " LIMIT ?";
    }

    /** Claims up to {@code limit} due heads, oldest due first: one statement picks them, one marks each. */
    static List<Claim> claim(SqlSession session, Instant now, int limit, String owner, Duration lease,
                             Ordering ordering, boolean withHeld) throws SQLException {
        PreparedStatement due = session.prepare(dueHeads(ordering, withHeld));
        due.setLong(1, now.toEpochMilli());
        due.setInt(2, limit);
        List<String> ids = Rows.list(due, row -> row.getString(1));
        Instant leaseUntil = Rows.stored(now.plus(lease));
        List<Claim> claims = new ArrayList<>();
        for (String id : ids) {
            String token = UUID.randomUUID().toString();
            PreparedStatement mark = session.prepare(CLAIM);
            mark.setString(1, owner);
            mark.setString(2, token);
            mark.setLong(3, leaseUntil.toEpochMilli());
            mark.setLong(4, leaseUntil.toEpochMilli());
            mark.setLong(5, now.toEpochMilli());
            mark.setString(6, id);
            mark.executeUpdate();
            PreparedStatement claimed = session.prepare(CLAIMED);
            claimed.setString(1, id);
            MessageStatus status = Rows.first(claimed, Rows::messageStatus).orElseThrow();
            claims.add(new Claim(status, owner, token, leaseUntil));
        }
        return claims;
    }

    static boolean renew(SqlSession session, Claim claim, Instant leaseUntil) throws SQLException {
        PreparedStatement update = session.prepare(RENEW);
        update.setLong(1, leaseUntil.toEpochMilli());
        update.setLong(2, leaseUntil.toEpochMilli());
        fence(update, 3, claim);
        return update.executeUpdate() == 1;
    }

    /** Writes the attempt and where the delivery goes next, if the claim still holds; else nothing. */
    static boolean complete(SqlSession session, Claim claim, Attempt attempt, DeliveryState next,
                            Instant nextAttemptAt, String lastError, Instant now) throws SQLException {
        PreparedStatement update = session.prepare(COMPLETE);
        update.setString(1, next.wireName());
        update.setInt(2, attempt.number());
        update.setObject(3, Rows.millis(nextAttemptAt));
        update.setString(4, lastError);
        update.setLong(5, now.toEpochMilli());
        fence(update, 6, claim);
        if (update.executeUpdate() == 0) {
            return false;
        }
        PreparedStatement insert = session.prepare(INSERT_ATTEMPT);
        insert.setString(1, attempt.messageId());
        insert.setInt(2, attempt.number());
        insert.setLong(3, attempt.startedAt().toEpochMilli());
        insert.setLong(4, attempt.durationMillis());
        insert.setObject(5, attempt.statusCode());
        insert.setString(6, attempt.error());
        insert.setString(7, attempt.responseSnippet());
        insert.setBoolean(8, attempt.success());
        insert.executeUpdate();
        return true;
    }

    static boolean reschedule(SqlSession session, Claim claim, Instant at, Instant now) throws SQLException {
        PreparedStatement update = session.prepare(RESCHEDULE);
        update.setLong(1, at.toEpochMilli());
        update.setLong(2, now.toEpochMilli());
        fence(update, 3, claim);
        return update.executeUpdate() == 1;
    }

    private static void fence(PreparedStatement update, int from, Claim claim) throws SQLException {
        update.setString(from, claim.messageId());
        update.setString(from + 1, claim.token());
    }

    /** Holds every due queued or retrying delivery; their ids, oldest due first. */
    static List<String> hold(SqlSession session, Instant now) throws SQLException {
        PreparedStatement due = session.prepare("SELECT d.message_id" + DUE_TO_HOLD + DUE_ORDER);
        due.setLong(1, now.toEpochMilli());
        return moveAll(session, due, HOLD, now);
    }

    /** Queues every held delivery, due now, so that they go in the order they were queued; their ids so. */
    static List<String> release(SqlSession session, Instant now) throws SQLException {
        return moveAll(session, session.prepare(HELD_IN_ORDER), RELEASE, now);
    }

    /** The ids {@code select} finds, then {@code move} (its two parameters both {@code now}) when there are any. */
    private static List<String> moveAll(SqlSession session, PreparedStatement select, String move, Instant now)
            throws SQLException {
        List<String> ids = Rows.list(select, row -> row.getString(1));
        if (!ids.isEmpty()) {
            PreparedStatement update = session.prepare(move);
            update.setLong(1, now.toEpochMilli());
            update.setLong(2, now.toEpochMilli());
            update.executeUpdate();
        }
        return ids;
    }

    /**
     * A fresh delivery, due now: a failed one (a delivered one with {@code force}) goes to the back of its
     * conversation, since the rest went on without it; a held one keeps its place, which it never left.
     */
    static boolean requeue(SqlSession session, String messageId, boolean force, Instant now) throws SQLException {
        PreparedStatement find = session.prepare(STATE_OF);
        find.setString(1, messageId);
        Optional<String[]> row = Rows.first(find, r -> new String[] {r.getString(1), r.getString(2)});
        if (row.isEmpty()) {
            return false;
        }
        DeliveryState state = DeliveryState.fromWireName(row.get()[0]);
        boolean toTheBack = state == DeliveryState.FAILED || (force && state == DeliveryState.DELIVERED);
        if (!toTheBack && state != DeliveryState.HELD) {
            return false;
        }
        PreparedStatement update = session.prepare(toTheBack ? REQUEUE_TO_THE_BACK : REQUEUE_IN_PLACE);
        update.setLong(1, now.toEpochMilli());
        update.setLong(2, now.toEpochMilli());
        if (toTheBack) {
            update.setLong(3, lastPosition(session, row.get()[1]) + 1);
        }
        update.setString(toTheBack ? 4 : 3, messageId);
        return update.executeUpdate() == 1;
    }

    static List<String> requeueAllFailed(SqlSession session, Instant now) throws SQLException {
        List<String> ids = Rows.list(session.prepare(FAILED_OLDEST_FIRST), row -> row.getString(1));
        for (String id : ids) {
            requeue(session, id, false, now);
        }
        return ids;
    }

    /** The next position of the phone: after every delivery it has, however it got there. */
    static long lastPosition(SqlSession session, String phone) throws SQLException {
        PreparedStatement query = session.prepare(LAST_POSITION);
        query.setString(1, phone);
        try (ResultSet row = query.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    static boolean skip(SqlSession session, String messageId, Instant now) throws SQLException {
        PreparedStatement update = session.prepare(SKIP);
        update.setLong(1, now.toEpochMilli());
        update.setLong(2, now.toEpochMilli());
        update.setString(3, messageId);
        return update.executeUpdate() == 1;
    }

    // ---- reads

    /** When the earliest head that is not due yet will be: what to wake up for. */
    static Optional<Instant> nextDue(SqlSession session, Instant now, Ordering ordering) throws SQLException {
        PreparedStatement query = session.prepare("SELECT d.next_attempt_at" + DUE_FROM + IN_LINE
                + NOT_HELD + " AND d.next_attempt_at > ? AND NOT " + heldBack(ordering) + DUE_ORDER + " LIMIT 1");
        query.setLong(1, now.toEpochMilli());
        return Rows.first(query, row -> Rows.instant(row, 1));
    }

    /** The delivery the later ones of {@code phone} wait for: the first in line that blocks them. */
    static Optional<Delivery> head(SqlSession session, String phone, Ordering ordering) throws SQLException {
        String blocking = switch (ordering) {
            case NONE -> null;
            case CONVERSATION -> "d.state IN " + UNFINISHED;
            case STRICT -> "(d.state IN " + UNFINISHED + " OR (d.state = '" + FAILED + "' AND d.skipped_at IS NULL))";
        };
        if (blocking == null) {
            return Optional.empty();
        }
        PreparedStatement query = session.prepare("SELECT " + Rows.deliveryColumns("d.")
                + " FROM deliveries d WHERE d.phone = ? AND " + blocking + " ORDER BY d.position LIMIT 1");
        query.setString(1, phone);
        return Rows.first(query, Rows::delivery);
    }

    /**
     * How many queued, retrying and held deliveries wait for an earlier one of their phone, by state: all of them but
     * the heads. Each phone with unfinished deliveries (the conversations table says which) costs one index seek per
     * state to find its head, so the count costs the number of conversations with a backlog, not the backlog.
     */
    static Map<DeliveryState, Long> waiting(SqlSession session, Ordering ordering) throws SQLException {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        if (ordering == Ordering.NONE) {
            return counts;
        }
        try (ResultSet rows = session.prepare(waitingCounts(ordering)).executeQuery()) {
            while (rows.next()) {
                if (rows.getLong(2) > 0) {
                    counts.put(DeliveryState.fromWireName(rows.getString(1)), rows.getLong(2));
                }
            }
        }
        return Collections.unmodifiableMap(counts);
    }

    /** One statement, so the totals and the heads come from one snapshot. */
    private static String waitingCounts(Ordering ordering) {
        List<String> waitable = List.of(QUEUED, RETRYING, HELD);
        String firstOf = "(SELECT MIN(e.position) FROM deliveries e WHERE e.phone = c.phone AND e.state = '%s'%s)";
        List<String> blocking = new ArrayList<>(List.of(QUEUED, SENDING, RETRYING, HELD));
        if (ordering == Ordering.STRICT) {
            blocking.add(FAILED);
        }
        String firsts = blocking.stream()
                .map(state -> "COALESCE(" + firstOf.formatted(state, state.equals(FAILED)
                        ? " AND e.skipped_at IS NULL" : "") + ", 9e18) AS " + state)
                .collect(Collectors.joining(", "));
        String headState = "CASE min(" + String.join(", ", blocking) + ")" + waitable.stream()
                .map(state -> " WHEN " + state + " THEN '" + state + "'").collect(Collectors.joining())
                + " ELSE NULL END";
        String heads = "SELECT " + headState + " AS state, COUNT(*) AS n FROM (SELECT " + firsts
                + " FROM conversations c WHERE c.queued + c.sending + c.retrying + c.held > 0) GROUP BY 1";
        String totals = "SELECT d.state AS state, COUNT(*) AS n FROM deliveries d WHERE d.state IN ('"
                + String.join("', '", waitable) + "') GROUP BY d.state";
        return "SELECT t.state, t.n - COALESCE(h.n, 0) FROM (" + totals + ") t LEFT JOIN (" + heads
                + ") h ON h.state = t.state";
    }
}
