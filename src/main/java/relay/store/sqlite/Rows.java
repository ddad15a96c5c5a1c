package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import relay.domain.DeliveryState;

/** Converting between rows and records; instants are epoch milliseconds in the database. */
final class Rows {
    /** The columns {@link #messageStatus} reads, in order; joins name the tables m, a and d. */
    static final String STATUS_COLUMNS = """
            m.id, m.phone, m.sequence, m.text, m.created_at,
            a.id, a.kind, a.filename, a.mime_type, a.size, a.sha256, a.created_at,
            """ + deliveryColumns("d.");
    static final int STATUS_COLUMN_COUNT = 18;
    static final String STATUS_FROM = """
             FROM messages m
            JOIN deliveries d ON d.message_id = m.id
            LEFT JOIN attachments a ON a.id = m.attachment_id""";
    static final String ATTACHMENT_COLUMNS = "id, kind, filename, mime_type, size, sha256, created_at";
    static final String DELIVERY_COLUMNS = "message_id, state, attempts, next_attempt_at, last_error, updated_at";
    static final String ATTEMPT_COLUMNS =
            "message_id, number, started_at, duration_ms, status_code, error, response_snippet";
    static final int ATTEMPT_COLUMN_COUNT = 7;

    private Rows() {
    }

    /**
     * The columns {@link #delivery} reads, of the table named by {@code prefix} (e.g. {@code "d."}). A delivery
     * shows a next attempt only while it waits to retry: for the others next_attempt_at is the queue's business.
     */
    static String deliveryColumns(String prefix) {
        return prefix + "message_id, " + prefix + "state, " + prefix + "attempts, iif(" + prefix + "state = '"
                + DeliveryState.RETRYING.wireName() + "', " + prefix + "next_attempt_at, NULL), " + prefix
                + "last_error, " + prefix + "updated_at";
    }

    @FunctionalInterface
    interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    static <T> List<T> list(PreparedStatement query, Mapper<T> mapper) throws SQLException {
        List<T> result = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                result.add(mapper.map(rows));
            }
        }
        return result;
    }

    static <T> Optional<T> first(PreparedStatement query, Mapper<T> mapper) throws SQLException {
        try (ResultSet rows = query.executeQuery()) {
            return rows.next() ? Optional.of(mapper.map(rows)) : Optional.empty();
        }
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

}
