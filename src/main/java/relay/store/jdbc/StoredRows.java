package relay.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;

/**
 * The domain's records read back from a row, the same on every SQL backend: both keep the same columns in the same
 * order (instants as epoch milliseconds), so one reading serves them.
 *
 * <p>A message's status row: the message (id, phone, sequence, text, created_at), its attachment (seven columns from
 * 6, all null without one), then its delivery (six columns from 13).
 */
public final class StoredRows {
    private StoredRows() {
    }

    public static MessageStatus messageStatus(ResultSet row) throws SQLException {
        Attachment attachment = row.getString(6) == null ? null : attachment(row, 6);
        Message message = new Message(row.getString(1), row.getString(2), row.getLong(3), row.getString(4),
                attachment, instant(row, 5));
        return new MessageStatus(message, delivery(row, 13));
    }

    public static Attachment attachment(ResultSet row) throws SQLException {
        return attachment(row, 1);
    }

    private static Attachment attachment(ResultSet row, int from) throws SQLException {
        return new Attachment(row.getString(from), MessageKind.fromWireName(row.getString(from + 1)),
                row.getString(from + 2), row.getString(from + 3), row.getLong(from + 4), row.getString(from + 5),
                instant(row, from + 6));
    }

    public static Delivery delivery(ResultSet row) throws SQLException {
        return delivery(row, 1);
    }

    private static Delivery delivery(ResultSet row, int from) throws SQLException {
        return new Delivery(row.getString(from), DeliveryState.fromWireName(row.getString(from + 1)),
                row.getInt(from + 2), instant(row, from + 3), row.getString(from + 4), instant(row, from + 5));
    }

    public static Attempt attempt(ResultSet row) throws SQLException {
        return attempt(row, 1);
    }

    public static Attempt attempt(ResultSet row, int from) throws SQLException {
        int status = row.getInt(from + 4);
        Integer statusCode = row.wasNull() ? null : status;
        return new Attempt(row.getString(from), row.getInt(from + 1), instant(row, from + 2), row.getLong(from + 3),
                statusCode, row.getString(from + 5), row.getString(from + 6));
    }

    /** Null stays null: several instants are optional. */
    public static Instant instant(ResultSet row, int column) throws SQLException {
        long millis = row.getLong(column);
        return row.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    /** What a stored instant reads back as, so a write can return exactly what a later read will. */
    public static Instant stored(Instant instant) {
        return instant == null ? null : Instant.ofEpochMilli(instant.toEpochMilli());
    }
}
