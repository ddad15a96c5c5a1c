package relay.store.sqlite;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import relay.domain.Attachment;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;
import relay.store.StorageFault;
import relay.store.jdbc.StoredRows;

/** The writes, each run by the writer thread inside its own savepoint. */
final class Updates {
    private static final String MESSAGE_EXISTS = "SELECT 1 FROM messages WHERE id = ?";
    private static final String NEXT_SEQUENCE = "SELECT MAX(COALESCE((SELECT MAX(sequence) FROM messages"
            + " WHERE phone = ?), 0), COALESCE((SELECT last_sequence FROM retired_sequences WHERE phone = ?), 0)) + 1";
    private static final String INSERT_MESSAGE = "INSERT INTO messages"
            + " (id, phone, sequence, text, attachment_id, created_at) VALUES (?, ?, ?, ?, ?, ?)";
    // Due at once, at the back of its conversation.
    private static final String INSERT_DELIVERY = "INSERT INTO deliveries (" + Rows.DELIVERY_COLUMNS
            + ", phone, position) VALUES (?, ?, 0, ?, NULL, ?, ?, ?)";
    private static final String INSERT_ATTACHMENT = "INSERT INTO attachments (" + Rows.ATTACHMENT_COLUMNS + ")"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    static final String DELETE_UNSENT_ATTACHMENT = "DELETE FROM attachments WHERE id = ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages WHERE attachment_id = attachments.id)";

    private Updates() {
    }

    static Message accept(SqlSession session, NewMessage message, DeliveryState initial, Instant now)
            throws SQLException {
        if (exists(session, MESSAGE_EXISTS, message.id())) {
            throw new IllegalArgumentException("message " + message.id() + " already exists");
        }
        Attachment attachment = message.attachmentId() == null ? null
                : Queries.attachment(session, message.attachmentId()).orElseThrow(
                        () -> new IllegalArgumentException("unknown attachment " + message.attachmentId()));
        long sequence = nextSequence(session, message.phone());
        Instant createdAt = StoredRows.stored(message.createdAt());

        PreparedStatement insert = session.prepare(INSERT_MESSAGE);
        insert.setString(1, message.id());
        insert.setString(2, message.phone());
        insert.setLong(3, sequence);
        insert.setString(4, message.text());
        insert.setString(5, message.attachmentId());
        insert.setLong(6, createdAt.toEpochMilli());
        insert.executeUpdate();

        PreparedStatement delivery = session.prepare(INSERT_DELIVERY);
        delivery.setString(1, message.id());
        delivery.setString(2, initial.wireName());
        delivery.setLong(3, now.toEpochMilli());
        delivery.setLong(4, now.toEpochMilli());
        delivery.setString(5, message.phone());
        delivery.setLong(6, Queue.lastPosition(session, message.phone()) + 1);
        delivery.executeUpdate();
        return new Message(message.id(), message.phone(), sequence, message.text(), attachment, createdAt);
    }

    /**
     * MAX rather than COUNT: the (phone, sequence) index answers it without a scan. Retention may delete a phone's
     * newest messages, and a number handed out again would make a new message look older than one already delivered
     * (a receiver that saw 7 would then get 5); so housekeeping keeps the highest sequence it deleted per phone in
     * retired_sequences (one row per phone, one primary-key lookup here), and numbering goes on from whichever is
     * higher. Never deleting a conversation's newest message instead would keep it past RETENTION_DAYS.
     */
    private static long nextSequence(SqlSession session, String phone) throws SQLException {
        PreparedStatement query = session.prepare(NEXT_SEQUENCE);
        query.setString(1, phone);
        query.setString(2, phone);
        try (ResultSet row = query.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    /**
     * Refuses a row whose file is gone, since it would fail every delivery of its message. The upload holds its
     * file until this row is committed (see {@link AttachmentFiles}), so only the disk can have lost it.
     */
    static void saveAttachment(SqlSession session, Attachment attachment, AttachmentFiles files) throws SQLException {
        if (!Files.exists(files.path(attachment.sha256()))) {
            throw Faults.exception(StorageFault.UNREACHABLE, "attachments",
                    new NoSuchFileException("the file of " + attachment.id()));
        }
        PreparedStatement insert = session.prepare(INSERT_ATTACHMENT);
        insert.setString(1, attachment.id());
        insert.setString(2, attachment.kind().wireName());
        insert.setString(3, attachment.filename());
        insert.setString(4, attachment.mimeType());
        insert.setLong(5, attachment.size());
        insert.setString(6, attachment.sha256());
        insert.setLong(7, attachment.createdAt().toEpochMilli());
        insert.executeUpdate();
    }

    /**
     * Forgets an attachment no message refers to.
     *
     * @return its content's SHA-256, whose file the caller deletes once this is committed and no one else uses it;
     *         empty when there was no such attachment or a message uses it
     */
    static Optional<String> discardAttachment(SqlSession session, String attachmentId) throws SQLException {
        Optional<Attachment> attachment = Queries.attachment(session, attachmentId);
        if (attachment.isEmpty()) {
            return Optional.empty();
        }
        PreparedStatement delete = session.prepare(DELETE_UNSENT_ATTACHMENT);
        delete.setString(1, attachmentId);
        return delete.executeUpdate() == 0 ? Optional.empty() : Optional.of(attachment.get().sha256());
    }

    private static boolean exists(SqlSession session, String sql, String key) throws SQLException {
        PreparedStatement query = session.prepare(sql);
        query.setString(1, key);
        try (ResultSet row = query.executeQuery()) {
            return row.next();
        }
    }

}
