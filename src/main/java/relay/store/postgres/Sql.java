package relay.store.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import relay.domain.DeliveryState;

/**
 * Statements with their parameters in one call, and rows turned into records. Instants are epoch milliseconds in the
 * database, as on SQLite; the column lists match SQLite's, so both stores read the same shapes.
 */
final class Sql {
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
    static final String ATTEMPT_COLUMNS =
            "message_id, number, started_at, duration_ms, status_code, error, response_snippet";
    static final int ATTEMPT_COLUMN_COUNT = 7;

    private Sql() {
    }

    /**
     * The columns {@link #delivery} reads, of the table named by {@code prefix}. A delivery shows a next attempt only
     * while it waits to retry: for the others next_attempt_at is the queue's business.
     */
    static String deliveryColumns(String prefix) {
        return prefix + "message_id, " + prefix + "state, " + prefix + "attempts, CASE WHEN " + prefix + "state = '"
                + DeliveryState.RETRYING.wireName() + "' THEN " + prefix + "next_attempt_at END, " + prefix
                + "last_error, " + prefix + "updated_at";
    }

    @FunctionalInterface
    interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    /** Runs an INSERT, UPDATE or DELETE; how many rows it changed. */
    static int update(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters)) {
            return statement.executeUpdate();
        }
    }

    static <T> List<T> list(Connection connection, String sql, Mapper<T> mapper, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rows = statement.executeQuery()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) {
                result.add(mapper.map(rows));
            }
            return result;
        }
    }

    static <T> Optional<T> first(Connection connection, String sql, Mapper<T> mapper, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rows = statement.executeQuery()) {
            return rows.next() ? Optional.of(mapper.map(rows)) : Optional.empty();
        }
    }

    static long number(Connection connection, String sql, Object... parameters) throws SQLException {
        return first(connection, sql, row -> row.getLong(1), parameters).orElseThrow();
    }

    static boolean exists(Connection connection, String sql, Object... parameters) throws SQLException {
        return first(connection, sql, row -> true, parameters).isPresent();
    }

    /** Binds parameters by their Java type; an {@link Instant} as epoch milliseconds, a null as a BIGINT null. */
    private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) {
                Object value = parameters[i];
                switch (value) {
                    case null -> statement.setNull(i + 1, Types.BIGINT);
                    case Instant instant -> statement.setLong(i + 1, instant.toEpochMilli());
                    case String text -> statement.setString(i + 1, text);
                    case Long whole -> statement.setLong(i + 1, whole);
                    case Integer whole -> statement.setInt(i + 1, whole);
                    case Boolean flag -> statement.setBoolean(i + 1, flag);
                    case byte[] bytes -> statement.setBytes(i + 1, bytes);
                    case Array array -> statement.setArray(i + 1, array);
                    default -> throw new IllegalArgumentException("no binding for " + value.getClass());
                }
            }
            return statement;
        } catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }


}
