package relay.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import relay.domain.Attachment;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;
import relay.store.SearchText;
import relay.store.jdbc.StoredRows;

/** Accepting a message: its row, its sequence and its place in its conversation, in the caller's transaction. */
final class Updates {
    /** The key space of {@link #lockLine}'s advisory locks; the second key is the phone's hash. */
    private static final int LINE_LOCKS = 1;
    private static final String MESSAGE_EXISTS = "SELECT 1 FROM messages WHERE id = ?";
    private static final String NEXT_SEQUENCE = "SELECT GREATEST(COALESCE((SELECT MAX(sequence) FROM messages"
            + " WHERE phone = ?), 0), COALESCE((SELECT last_sequence FROM retired_sequences WHERE phone = ?), 0)) + 1";
    private static final String LAST_POSITION = "SELECT COALESCE(MAX(position), 0) FROM deliveries WHERE phone = ?";
    private static final String INSERT_MESSAGE = "INSERT INTO messages"
            + " (id, phone, sequence, text, attachment_id, created_at, search_text) VALUES (?, ?, ?, ?, ?, ?, ?)";
    // Due at once, at the back of its conversation.
    private static final String INSERT_DELIVERY = "INSERT INTO deliveries (message_id, state, attempts,"
            + " next_attempt_at, last_error, updated_at, phone, position) VALUES (?, ?, 0, ?, NULL, ?, ?, ?)";
    // Locked until the message is committed, so housekeeping cannot take an old upload from under it.
    private static final String ATTACHMENT = "SELECT " + Sql.ATTACHMENT_COLUMNS + " FROM attachments WHERE id = ?"
            + " FOR KEY SHARE";

    private Updates() {
    }

    /**
     * Stores the message and its delivery. Sequences and positions are "the phone's highest plus one", so accepts of
     * one phone take its line lock first: on any instance, they number one after the other.
     */
    static Message accept(Connection connection, NewMessage message, DeliveryState initial, Instant now)
            throws SQLException {
        lockLine(connection, message.phone());
        if (Sql.exists(connection, MESSAGE_EXISTS, message.id())) {
            throw new IllegalArgumentException("message " + message.id() + " already exists");
        }
        Attachment attachment = message.attachmentId() == null ? null
                : Sql.first(connection, ATTACHMENT, StoredRows::attachment, message.attachmentId()).orElseThrow(
                        () -> new IllegalArgumentException("unknown attachment " + message.attachmentId()));
        long sequence = Sql.number(connection, NEXT_SEQUENCE, message.phone(), message.phone());
        Instant createdAt = StoredRows.stored(message.createdAt());
        Sql.update(connection, INSERT_MESSAGE, message.id(), message.phone(), sequence, message.text(),
                message.attachmentId(), createdAt,
                searchText(message.text(), attachment == null ? null : attachment.filename()));
        Sql.update(connection, INSERT_DELIVERY, message.id(), initial.wireName(), now, now, message.phone(),
                lastPosition(connection, message.phone()) + 1);
        return new Message(message.id(), message.phone(), sequence, message.text(), attachment, createdAt);
    }

    /**
     * What message search looks in: the text and the file name, each folded as a query is, on lines of their own so
     * that no match runs from one into the other.
     */
    static String searchText(String text, String filename) {
        return SearchText.fold(text == null ? "" : text) + "\n" + SearchText.fold(filename == null ? "" : filename);
    }

    /**
     * Takes the advisory lock of {@code phone}'s line until the transaction ends: whoever numbers a message of the
     * phone or places a delivery at its back holds it, so no two writers, on any instance, hand out one number.
     */
    static void lockLine(Connection connection, String phone) throws SQLException {
        Sql.first(connection, "SELECT pg_advisory_xact_lock(?, hashtext(?))", row -> true, LINE_LOCKS, phone);
    }

    /** The phone's last position: after every delivery it has, however it got there. */
    static long lastPosition(Connection connection, String phone) throws SQLException {
        return Sql.number(connection, LAST_POSITION, phone);
    }
}
