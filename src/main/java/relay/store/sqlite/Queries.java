package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptMetrics;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.MessageStatus;
import relay.store.jdbc.StoredRows;

/** The reads, each one statement so it sees one committed snapshot; shared by readers and the writer. */
final class Queries {
    private static final DeliveryState[] STATES = DeliveryState.values();
    private static final String UNFINISHED_STATES = Arrays.stream(STATES)
            .filter(state -> !state.isFinal())
            .map(state -> "'" + state.wireName() + "'")
            .collect(Collectors.joining(", "));
    /** The sidebar's rows come from the conversations table the schema's triggers keep, one row per phone. */
    static final String CONVERSATION_COLUMNS = Rows.STATUS_COLUMNS + ", c.phone, c.total, "
            + Arrays.stream(STATES).map(state -> "c." + state.wireName()).collect(Collectors.joining(", "))
            + ", c.revision";
    static final String CONVERSATION_FROM = " FROM conversations c"
            + " JOIN messages m ON m.id = c.last_message_id"
            + " JOIN deliveries d ON d.message_id = m.id"
            + " LEFT JOIN attachments a ON a.id = m.attachment_id";
    private static final String NEWEST_FIRST = " ORDER BY c.last_created_at DESC, c.last_message_id DESC LIMIT ?";

    private static final String MESSAGE = "SELECT " + Rows.STATUS_COLUMNS + Rows.STATUS_FROM + " WHERE m.id = ?";
    private static final String CONVERSATION_NEWEST = "SELECT " + Rows.STATUS_COLUMNS + Rows.STATUS_FROM
            + " WHERE m.phone = ? ORDER BY m.sequence DESC LIMIT ?";
    // A `before` id of another phone or an unknown one makes the bound NULL, and so the page empty.
    private static final String CONVERSATION_BEFORE = "SELECT " + Rows.STATUS_COLUMNS + Rows.STATUS_FROM
            + " WHERE m.phone = ?"
            + " AND m.sequence < (SELECT sequence FROM messages WHERE id = ? AND phone = m.phone)"
            + " ORDER BY m.sequence DESC LIMIT ?";
    // Both walk conversations_by_activity, from its end or from the cursor: a page costs its length, not the history.
    static final String CONVERSATIONS_NEWEST = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + NEWEST_FIRST;
    static final String CONVERSATIONS_BEFORE = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + " WHERE (c.last_created_at, c.last_message_id) < (?, ?)" + NEWEST_FIRST;
    private static final String CONVERSATION_OF = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + " WHERE c.phone = ?";
    private static final String ATTACHMENT = "SELECT " + Rows.ATTACHMENT_COLUMNS + " FROM attachments WHERE id = ?";
    private static final String DELIVERY = "SELECT " + Rows.deliveryColumns("")
            + " FROM deliveries WHERE message_id = ?";
    // Insertion order is the order attempts happened in, also across re-deliveries that restart the numbers.
    private static final String ATTEMPTS = "SELECT " + Rows.ATTEMPT_COLUMNS
            + " FROM attempts WHERE message_id = ? ORDER BY id";
    // Both walk attempts_by_outcome (succeeded, started_at, and the rowid id after them) from its end or the cursor.
    private static final String FAILURE_COLUMNS = Rows.STATUS_COLUMNS + ", " + prefixed("t.", Rows.ATTEMPT_COLUMNS)
            + ", t.id";
    private static final String FAILURE_FROM = " FROM attempts t JOIN messages m ON m.id = t.message_id"
            + " JOIN deliveries d ON d.message_id = m.id LEFT JOIN attachments a ON a.id = m.attachment_id"
            + " WHERE t.succeeded = 0";
    private static final String LATEST_FIRST = " ORDER BY t.started_at DESC, t.id DESC LIMIT ?";
    static final String FAILURES_LATEST = "SELECT " + FAILURE_COLUMNS + FAILURE_FROM + LATEST_FIRST;
    static final String FAILURES_BEFORE = "SELECT " + FAILURE_COLUMNS + FAILURE_FROM
            + " AND (t.started_at, t.id) < (?, ?)" + LATEST_FIRST;
    private static final String SHA256_REFERENCED = "SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1";
    private static final String COUNTS = "SELECT state, COUNT(*) FROM deliveries GROUP BY state";
    private static final String STATS = "SELECT (SELECT COUNT(*) FROM attempts),"
            + " (SELECT COUNT(*) FROM attempts WHERE succeeded = 1),"
            + " (SELECT MAX(started_at) FROM attempts WHERE succeeded = 1),"
            + " (SELECT MAX(started_at) FROM attempts WHERE succeeded = 0)";

    private Queries() {
    }

    static Optional<MessageStatus> message(SqlSession session, String messageId) throws SQLException {
        PreparedStatement query = session.prepare(MESSAGE);
        query.setString(1, messageId);
        return Rows.first(query, StoredRows::messageStatus);
    }

    /** The newest {@code limit} messages of {@code phone} older than {@code beforeMessageId}, oldest first. */
    static List<MessageStatus> conversation(SqlSession session, String phone, int limit, String beforeMessageId)
            throws SQLException {
        PreparedStatement query;
        if (beforeMessageId == null) {
            query = session.prepare(CONVERSATION_NEWEST);
            query.setString(1, phone);
            query.setInt(2, limit);
        } else {
            query = session.prepare(CONVERSATION_BEFORE);
            query.setString(1, phone);
            query.setString(2, beforeMessageId);
            query.setInt(3, limit);
        }
        List<MessageStatus> newestFirst = Rows.list(query, StoredRows::messageStatus);
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** Up to {@code limit} conversations placed after {@code before} (from the newest when null), newest first. */
    static List<Conversation> conversations(SqlSession session, int limit, Conversation.Position before)
            throws SQLException {
        PreparedStatement query;
        if (before == null) {
            query = session.prepare(CONVERSATIONS_NEWEST);
            query.setInt(1, limit);
        } else {
            query = session.prepare(CONVERSATIONS_BEFORE);
            query.setLong(1, before.lastCreatedAt().toEpochMilli());
            query.setString(2, before.lastMessageId());
            query.setInt(3, limit);
        }
        return Rows.list(query, Queries::conversation);
    }

    static Optional<Conversation> conversationOf(SqlSession session, String phone) throws SQLException {
        PreparedStatement query = session.prepare(CONVERSATION_OF);
        query.setString(1, phone);
        return Rows.first(query, Queries::conversation);
    }

    static Conversation conversation(ResultSet row) throws SQLException {
        int phone = Rows.STATUS_COLUMN_COUNT + 1;
        int total = phone + 1;
        Map<DeliveryState, Long> summary = new EnumMap<>(DeliveryState.class);
        for (int i = 0; i < STATES.length; i++) {
            summary.put(STATES[i], row.getLong(total + 1 + i));
        }
        return new Conversation(row.getString(phone), StoredRows.messageStatus(row), Collections.unmodifiableMap(summary),
                row.getLong(total), row.getLong(total + 1 + STATES.length));
    }

    static Optional<Attachment> attachment(SqlSession session, String attachmentId) throws SQLException {
        PreparedStatement query = session.prepare(ATTACHMENT);
        query.setString(1, attachmentId);
        return Rows.first(query, StoredRows::attachment);
    }

    static Optional<Delivery> delivery(SqlSession session, String messageId) throws SQLException {
        PreparedStatement query = session.prepare(DELIVERY);
        query.setString(1, messageId);
        return Rows.first(query, StoredRows::delivery);
    }

    static List<Attempt> attempts(SqlSession session, String messageId) throws SQLException {
        PreparedStatement query = session.prepare(ATTEMPTS);
        query.setString(1, messageId);
        return Rows.list(query, StoredRows::attempt);
    }

    static List<Failure> failures(SqlSession session, int limit, Failure.Position before) throws SQLException {
        PreparedStatement query;
        if (before == null) {
            query = session.prepare(FAILURES_LATEST);
            query.setInt(1, limit);
        } else {
            query = session.prepare(FAILURES_BEFORE);
            query.setLong(1, before.startedAt().toEpochMilli());
            query.setLong(2, before.recorded());
            query.setInt(3, limit);
        }
        return Rows.list(query, Queries::failure);
    }

    private static Failure failure(ResultSet row) throws SQLException {
        Attempt attempt = StoredRows.attempt(row, Rows.STATUS_COLUMN_COUNT + 1);
        long recorded = row.getLong(Rows.STATUS_COLUMN_COUNT + Rows.ATTEMPT_COLUMN_COUNT + 1);
        return new Failure(attempt, StoredRows.messageStatus(row).message(),
                new Failure.Position(attempt.startedAt(), recorded));
    }

    /** Every state, zeros included, in the enum's order. */
    static Map<DeliveryState, Long> counts(SqlSession session) throws SQLException {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        for (DeliveryState state : STATES) {
            counts.put(state, 0L);
        }
        try (ResultSet rows = session.prepare(COUNTS).executeQuery()) {
            while (rows.next()) {
                counts.put(DeliveryState.fromWireName(rows.getString(1)), rows.getLong(2));
            }
        }
        return Collections.unmodifiableMap(counts);
    }

    static AttemptStats stats(SqlSession session) throws SQLException {
        try (ResultSet row = session.prepare(STATS).executeQuery()) {
            row.next();
            long attempts = row.getLong(1);
            long succeeded = row.getLong(2);
            return new AttemptStats(attempts, succeeded, attempts - succeeded, StoredRows.instant(row, 3),
                    StoredRows.instant(row, 4));
        }
    }

    static AttemptMetrics metrics(SqlSession session, List<Long> bucketMillis) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT (SELECT COUNT(*) FROM messages), COUNT(*),"
                + " COALESCE(SUM(succeeded), 0), COALESCE(SUM(succeeded = 0 AND status_code IS NOT NULL), 0),"
                + " COALESCE(SUM(status_code IS NULL), 0), COALESCE(SUM(duration_ms), 0)");
        for (int i = 0; i < bucketMillis.size(); i++) {
            sql.append(", COALESCE(SUM(duration_ms <= ?), 0)");
        }
        PreparedStatement query = session.prepare(sql.append(" FROM attempts").toString());
        for (int i = 0; i < bucketMillis.size(); i++) {
            query.setLong(i + 1, bucketMillis.get(i));
        }
        try (ResultSet row = query.executeQuery()) {
            row.next();
            List<Long> counts = new ArrayList<>();
            for (int i = 0; i < bucketMillis.size(); i++) {
                counts.add(row.getLong(7 + i));
            }
            return new AttemptMetrics(row.getLong(1), row.getLong(3), row.getLong(4), row.getLong(5),
                    row.getLong(6), bucketMillis, counts);
        }
    }

    /** Whether an attachment row uses the file with this content. */
    static boolean isReferenced(SqlSession session, String sha256) throws SQLException {
        PreparedStatement query = session.prepare(SHA256_REFERENCED);
        query.setString(1, sha256);
        try (ResultSet row = query.executeQuery()) {
            return row.next();
        }
    }

    static boolean reachable(SqlSession session) throws SQLException {
        try (ResultSet row = session.prepare("SELECT 1").executeQuery()) {
            return row.next();
        }
    }

    private static String prefixed(String prefix, String columns) {
        return Arrays.stream(columns.split(", ")).map(column -> prefix + column).collect(Collectors.joining(", "));
    }
}
