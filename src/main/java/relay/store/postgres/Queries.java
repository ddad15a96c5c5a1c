package relay.store.postgres;

import java.sql.Connection;
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
import relay.domain.AttemptMetrics;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.MessageStatus;
import relay.store.jdbc.StoredRows;

/** The reads, each one statement so it sees one committed snapshot; the same questions as SQLite's Queries. */
final class Queries {
    private static final DeliveryState[] STATES = DeliveryState.values();
    static final String CONVERSATION_COLUMNS = Sql.STATUS_COLUMNS + ", c.phone, c.total, "
            + Arrays.stream(STATES).map(state -> "c." + state.wireName()).collect(Collectors.joining(", "))
            + ", c.revision";
    static final String CONVERSATION_FROM = " FROM conversations c"
            + " JOIN messages m ON m.id = c.last_message_id"
            + " JOIN deliveries d ON d.message_id = m.id"
            + " LEFT JOIN attachments a ON a.id = m.attachment_id";
    static final String NEWEST_FIRST = " ORDER BY c.last_created_at DESC, c.last_message_id DESC LIMIT ?";
    static final String BEFORE_POSITION = " (c.last_created_at, c.last_message_id) < (?, ?)";

    static final String MESSAGE = "SELECT " + Sql.STATUS_COLUMNS + Sql.STATUS_FROM + " WHERE m.id = ?";
    private static final String CONVERSATION_NEWEST = "SELECT " + Sql.STATUS_COLUMNS + Sql.STATUS_FROM
            + " WHERE m.phone = ? ORDER BY m.sequence DESC LIMIT ?";
    // A `before` id of another phone or an unknown one makes the bound NULL, and so the page empty.
    private static final String CONVERSATION_BEFORE = "SELECT " + Sql.STATUS_COLUMNS + Sql.STATUS_FROM
            + " WHERE m.phone = ?"
            + " AND m.sequence < (SELECT sequence FROM messages WHERE id = ? AND phone = m.phone)"
            + " ORDER BY m.sequence DESC LIMIT ?";
    private static final String CONVERSATIONS_NEWEST = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + NEWEST_FIRST;
    private static final String CONVERSATIONS_BEFORE = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + " WHERE" + BEFORE_POSITION + NEWEST_FIRST;
    private static final String CONVERSATION_OF = "SELECT " + CONVERSATION_COLUMNS + CONVERSATION_FROM
            + " WHERE c.phone = ?";
    static final String ATTACHMENT = "SELECT " + Sql.ATTACHMENT_COLUMNS + " FROM attachments WHERE id = ?";
    static final String DELIVERY = "SELECT " + Sql.deliveryColumns("") + " FROM deliveries WHERE message_id = ?";
    // Insertion order is the order attempts happened in, also across re-deliveries that restart the numbers.
    static final String ATTEMPTS = "SELECT " + Sql.ATTEMPT_COLUMNS + " FROM attempts WHERE message_id = ? ORDER BY id";
    private static final String FAILURE_COLUMNS = Sql.STATUS_COLUMNS + ", t.message_id, t.number, t.started_at,"
            + " t.duration_ms, t.status_code, t.error, t.response_snippet, t.id";
    private static final String FAILURE_FROM = " FROM attempts t JOIN messages m ON m.id = t.message_id"
            + " JOIN deliveries d ON d.message_id = m.id LEFT JOIN attachments a ON a.id = m.attachment_id"
            + " WHERE NOT t.succeeded";
    private static final String LATEST_FIRST = " ORDER BY t.started_at DESC, t.id DESC LIMIT ?";
    private static final String FAILURES_LATEST = "SELECT " + FAILURE_COLUMNS + FAILURE_FROM + LATEST_FIRST;
    private static final String FAILURES_BEFORE = "SELECT " + FAILURE_COLUMNS + FAILURE_FROM
            + " AND (t.started_at, t.id) < (?, ?)" + LATEST_FIRST;
    private static final String COUNTS = "SELECT state, COUNT(*) FROM deliveries GROUP BY state";
    private static final String STATS = "SELECT (SELECT COUNT(*) FROM attempts),"
            + " (SELECT COUNT(*) FROM attempts WHERE succeeded),"
            + " (SELECT MAX(started_at) FROM attempts WHERE succeeded),"
            + " (SELECT MAX(started_at) FROM attempts WHERE NOT succeeded)";

    private Queries() {
    }

    static Optional<MessageStatus> message(Connection connection, String messageId) throws SQLException {
        return Sql.first(connection, MESSAGE, StoredRows::messageStatus, messageId);
    }

    /** The newest {@code limit} messages of {@code phone} older than {@code beforeMessageId}, oldest first. */
    static List<MessageStatus> conversation(Connection connection, String phone, int limit, String beforeMessageId)
            throws SQLException {
        List<MessageStatus> newestFirst = new ArrayList<>(beforeMessageId == null
                ? Sql.list(connection, CONVERSATION_NEWEST, StoredRows::messageStatus, phone, limit)
                : Sql.list(connection, CONVERSATION_BEFORE, StoredRows::messageStatus, phone, beforeMessageId, limit));
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    static List<Conversation> conversations(Connection connection, int limit, Conversation.Position before)
            throws SQLException {
        return before == null ? Sql.list(connection, CONVERSATIONS_NEWEST, Queries::conversation, limit)
                : Sql.list(connection, CONVERSATIONS_BEFORE, Queries::conversation, before.lastCreatedAt(),
                        before.lastMessageId(), limit);
    }

    static Optional<Conversation> conversationOf(Connection connection, String phone) throws SQLException {
        return Sql.first(connection, CONVERSATION_OF, Queries::conversation, phone);
    }

    static Conversation conversation(ResultSet row) throws SQLException {
        int phone = Sql.STATUS_COLUMN_COUNT + 1;
        int total = phone + 1;
        Map<DeliveryState, Long> summary = new EnumMap<>(DeliveryState.class);
        for (int i = 0; i < STATES.length; i++) {
            summary.put(STATES[i], row.getLong(total + 1 + i));
        }
        return new Conversation(row.getString(phone), StoredRows.messageStatus(row), Collections.unmodifiableMap(summary),
                row.getLong(total), row.getLong(total + 1 + STATES.length));
    }

    static List<Failure> failures(Connection connection, int limit, Failure.Position before) throws SQLException {
        return before == null ? Sql.list(connection, FAILURES_LATEST, Queries::failure, limit)
                : Sql.list(connection, FAILURES_BEFORE, Queries::failure, before.startedAt(), before.recorded(),
                        limit);
    }

    private static Failure failure(ResultSet row) throws SQLException {
        var attempt = StoredRows.attempt(row, Sql.STATUS_COLUMN_COUNT + 1);
        long recorded = row.getLong(Sql.STATUS_COLUMN_COUNT + Sql.ATTEMPT_COLUMN_COUNT + 1);
        return new Failure(attempt, StoredRows.messageStatus(row).message(),
                new Failure.Position(attempt.startedAt(), recorded));
    }

    /** Every state, zeros included, in the enum's order. */
    static Map<DeliveryState, Long> counts(Connection connection) throws SQLException {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        for (DeliveryState state : STATES) {
            counts.put(state, 0L);
        }
        Sql.list(connection, COUNTS, row -> counts.put(DeliveryState.fromWireName(row.getString(1)), row.getLong(2)));
        return Collections.unmodifiableMap(counts);
    }

    static AttemptStats stats(Connection connection) throws SQLException {
        return Sql.first(connection, STATS, row -> {
            long attempts = row.getLong(1);
            long succeeded = row.getLong(2);
            return new AttemptStats(attempts, succeeded, attempts - succeeded, StoredRows.instant(row, 3),
                    StoredRows.instant(row, 4));
        }).orElseThrow();
    }

    static AttemptMetrics metrics(Connection connection, List<Long> bucketMillis) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT (SELECT COUNT(*) FROM messages), COUNT(*),"
                + " COUNT(*) FILTER (WHERE succeeded),"
                + " COUNT(*) FILTER (WHERE NOT succeeded AND status_code IS NOT NULL),"
                + " COUNT(*) FILTER (WHERE status_code IS NULL), COALESCE(SUM(duration_ms), 0)");
        for (int i = 0; i < bucketMillis.size(); i++) {
            sql.append(", COUNT(*) FILTER (WHERE duration_ms <= ?)");
        }
        return Sql.first(connection, sql.append(" FROM attempts").toString(), row -> {
            List<Long> counts = new ArrayList<>();
            for (int i = 0; i < bucketMillis.size(); i++) {
                counts.add(row.getLong(7 + i));
            }
            return new AttemptMetrics(row.getLong(1), row.getLong(3), row.getLong(4), row.getLong(5),
                    row.getLong(6), bucketMillis, counts);
        }, bucketMillis.toArray()).orElseThrow();
    }
}
