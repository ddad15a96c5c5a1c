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
import relay.store.jdbc.StoredRows;

/**
 * The deliveries table as the engine's queue: what is due, which delivery is the head of its conversation, claims
 * with a lease, and the fenced writes of their outcomes. Writes run on the writer thread inside its savepoint, so a
 * claim's select and its update are one atomic step; reads run on a reader.
 *
 * <p>A delivery is <em>due</em> when it is queued, retrying or sending (a lease that ran out) and its
 * {@code next_attempt_at} has come; held ones are due only to the probe. It is the <em>head</em> of its conversation
 * when no delivery of its phone with a smaller position blocks it: under {@link Ordering#CONVERSATION} an unfinished
 * one, under {@link Ordering#STRICT} also a failed one nobody skipped; under {@link Ordering#NONE} every delivery is.
 * A claim reads the earliest due rows from {@code deliveries_due} and asks each whether it heads its conversation
 * ({@link #firstLook}); only when all of those wait behind heads does it find the heads from the conversations with
 * something in line ({@link #headsOf}), so neither many short lines nor a few long ones are read whole per pass.
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
    /** Word for word the condition of the partial index conversations_in_line. */
    private static final String IN_LINE_CONVERSATION = "c.queued + c.sending + c.retrying + c.held > 0";
    /** How many due rows a claim reads before it looks for the heads from the conversations instead. */
    private static final int FIRST_LOOK = 256;
    /** Past any real position: a state with no delivery of the phone. */
    private static final String NO_POSITION = "9e18";
    /** Held deliveries wait for the circuit; only the probe takes one. */
    private static final String NOT_HELD = " AND d.state <> '" + HELD + "'";
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

    /**
     * The head of each conversation with something in line, as {@code heads (phone, position)}: the conversations
     * come from the partial index conversations_in_line, and each head's position is the least of one seek of
     * deliveries_in_line per blocking state. So finding the heads costs the number of conversations with a backlog,
     * however long their backlogs are (walking the due rows instead would read every message stuck behind a head).
     */
    private static String headsOf(Ordering ordering) {
        return headsOf(ordering, "conversations c INDEXED BY conversations_in_line WHERE " + IN_LINE_CONVERSATION);
    }

    /** {@link #headsOf(Ordering)} for the phones of {@code conversations}, a FROM clause naming them c.phone. */
    private static String headsOf(Ordering ordering, String conversations) {
        List<String> blocking = blocking(ordering);
        String firsts = blocking.stream()
                .map(state -> "COALESCE((SELECT MIN(e.position) FROM deliveries e WHERE e.phone = c.phone"
                        + " AND e.state = '" + state + "'" + (state.equals(FAILED) ? " AND e.skipped_at IS NULL" : "")
                        + "), " + NO_POSITION + ") AS " + state)
                .collect(Collectors.joining(", "));
        return "WITH firsts AS (SELECT c.phone, " + firsts + " FROM " + conversations + "), heads AS MATERIALIZED"
                + " (SELECT phone, min(" + String.join(", ", blocking) + ") AS position FROM firsts) ";
    }

    /** The states that hold the rest of a conversation back under {@code ordering}. */
    private static List<String> blocking(Ordering ordering) {
        List<String> states = new ArrayList<>(List.of(QUEUED, SENDING, RETRYING, HELD));
        if (ordering == Ordering.STRICT) {
            states.add(FAILED);
        }
        return states;
    }

    /**
     * The delivery at each head, {@code d}, when it is in one of {@code states}: one seek of deliveries_in_line per
     * state. CROSS JOIN keeps the heads the outer loop: left to itself SQLite would rather read every due delivery.
     * Ends in a WHERE clause that callers may go on with AND.
     */
    private static String headDeliveries(List<String> states) {
        return "FROM heads h CROSS JOIN deliveries d WHERE d.phone = h.phone AND d.state IN ('"
                + String.join("', '", states) + "') AND d.position = h.position";
    }

    /**
     * The earliest due rows, up to {@value #FIRST_LOOK}, each with whether it is the head of its conversation (one
     * seek of deliveries_in_line per blocking state): with many conversations and short lines, the heads are among
     * the first due rows and this is all a claim reads. Without ordering every row is a head.
     */
    static String firstLook(Ordering ordering, boolean withHeld) {
        String head = ordering == Ordering.NONE ? "1" : "NOT " + earlierBlocking(ordering);
        return "SELECT d.message_id, " + head + DUE_FROM + IN_LINE + (withHeld ? "" : NOT_HELD)
                + " AND d.next_attempt_at <= ?" + DUE_ORDER + " LIMIT " + FIRST_LOOK;
    }

    /** Whether a delivery of d's phone earlier in line holds d back; SQL on the alias d. */
    private static String earlierBlocking(Ordering ordering) {
        return blocking(ordering).stream()
                .map(state -> "EXISTS (SELECT 1 FROM deliveries e WHERE e.phone = d.phone AND e.state = '" + state
                        + "'" + (state.equals(FAILED) ? " AND e.skipped_at IS NULL" : "")
                        + " AND e.position < d.position)")
                .collect(Collectors.joining(" OR ", "(", ")"));
    }

    /**
     * The due heads found from the conversations with something in line ({@link #headsOf}): what a claim reads when
     * the first look was all rows waiting behind heads, so that long lines are never walked.
     */
    static String dueHeads(Ordering ordering, boolean withHeld) {
        List<String> due = new ArrayList<>(List.of(QUEUED, RETRYING, SENDING));
        if (withHeld) {
            due.add(HELD);
        }
        return headsOf(ordering) + "SELECT d.message_id " + headDeliveries(due) + " AND d.next_attempt_at <= ?"
                + DUE_ORDER + " LIMIT ?";
    }

    /** Claims up to {@code limit} due heads, oldest due first: one statement picks them, one marks each. */
    static List<Claim> claim(SqlSession session, Instant now, int limit, String owner, Duration lease,
                             Ordering ordering, boolean withHeld) throws SQLException {
        List<String> ids = dueHeadIds(session, now, limit, ordering, withHeld);
        Instant leaseUntil = StoredRows.stored(now.plus(lease));
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
            MessageStatus status = Rows.first(claimed, StoredRows::messageStatus).orElseThrow();
            claims.add(new Claim(status, owner, token, leaseUntil));
        }
        return claims;
    }

    /** Up to {@code limit} due heads, oldest due first: from the first look when it settles it, else from the heads. */
    private static List<String> dueHeadIds(SqlSession session, Instant now, int limit, Ordering ordering,
                                           boolean withHeld) throws SQLException {
        PreparedStatement look = session.prepare(firstLook(ordering, withHeld));
        look.setLong(1, now.toEpochMilli());
        List<Map.Entry<String, Boolean>> rows = Rows.list(look,
                row -> Map.entry(row.getString(1), row.getBoolean(2)));
        List<String> heads = rows.stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).limit(limit).toList();
        if (heads.size() == limit || rows.size() < FIRST_LOOK) {
            return heads;
        }
        PreparedStatement due = session.prepare(dueHeads(ordering, withHeld));
        due.setLong(1, now.toEpochMilli());
        due.setInt(2, limit);
        return Rows.list(due, row -> row.getString(1));
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
    /**
     * When the earliest head not yet due at {@code now} will be: a look at the first {@value #FIRST_LOOK} rows due
     * after now settles it in practice (rows waiting behind a head were due long ago); else the heads are asked.
     */
    static Optional<Instant> nextDue(SqlSession session, Instant now, Ordering ordering) throws SQLException {
        String head = ordering == Ordering.NONE ? "1" : "NOT " + earlierBlocking(ordering);
        PreparedStatement look = session.prepare("SELECT d.next_attempt_at, " + head + DUE_FROM + IN_LINE + NOT_HELD
                + " AND d.next_attempt_at > ?" + DUE_ORDER + " LIMIT " + FIRST_LOOK);
        look.setLong(1, now.toEpochMilli());
        List<Map.Entry<Instant, Boolean>> rows = Rows.list(look,
                row -> Map.entry(StoredRows.instant(row, 1), row.getBoolean(2)));
        Optional<Instant> first = rows.stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).findFirst();
        if (first.isPresent() || rows.size() < FIRST_LOOK) {
            return first;
        }
        PreparedStatement query = session.prepare(headsOf(ordering) + "SELECT d.next_attempt_at "
                + headDeliveries(List.of(QUEUED, RETRYING, SENDING)) + " AND d.next_attempt_at > ?" + DUE_ORDER
                + " LIMIT 1");
        query.setLong(1, now.toEpochMilli());
        return Rows.first(query, row -> StoredRows.instant(row, 1));
    }

    /** The delivery the later ones of {@code phone} wait for: the first in line that blocks them. */
    static Optional<Delivery> head(SqlSession session, String phone, Ordering ordering) throws SQLException {
        if (ordering == Ordering.NONE) {
            return Optional.empty();
        }
        PreparedStatement query = session.prepare(headsOf(ordering, "(SELECT ? AS phone) c") + "SELECT "
                + Rows.deliveryColumns("d.") + " " + headDeliveries(blocking(ordering)));
        query.setString(1, phone);
        return Rows.first(query, StoredRows::delivery);
    }

    /**
     * How many queued, retrying and held deliveries wait for an earlier one of their phone, by state: all of them but
     * the heads ({@link #headsOf}), so the count costs the number of conversations with a backlog, not the backlog.
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
        String waitable = "('" + String.join("', '", QUEUED, RETRYING, HELD) + "')";
        String heads = "SELECT d.state AS state, COUNT(*) AS n " + headDeliveries(blocking(ordering))
                + " GROUP BY d.state";
        String totals = "SELECT d.state AS state, COUNT(*) AS n FROM deliveries d WHERE d.state IN " + waitable
                + " GROUP BY d.state";
        return headsOf(ordering) + "SELECT t.state, t.n - COALESCE(h.n, 0) FROM (" + totals + ") t LEFT JOIN ("
                + heads + ") h ON h.state = t.state";
    }
}
