package relay.store.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import relay.domain.DeliveryState;

/**
 * chat.db as an older build left it, for migration tests: migrated only up to a given version, with messages written
 * in the layout of the first migration (which, like every migration that shipped, never changes).
 */
final class OlderSchema implements AutoCloseable {
    private final SqlSession session;

    private OlderSchema(SqlSession session) {
        this.session = session;
    }

    /** A new chat.db in {@code dataDir} at schema {@code version}. */
    static OlderSchema create(Path dataDir, int version) throws Exception {
        Files.createDirectories(dataDir);
        SqlSession session = SqlSession.open(dataDir.resolve("chat.db"));
        try {
            Schema.migrate(session, version);
            return new OlderSchema(session);
        } catch (SQLException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** A text message with its delivery in {@code state}. */
    OlderSchema message(String id, String phone, long sequence, String text, Instant createdAt, DeliveryState state)
            throws SQLException {
        PreparedStatement message = session.prepare("INSERT INTO messages"
                + " (id, phone, sequence, text, attachment_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)");
        message.setString(1, id);
        message.setString(2, phone);
        message.setLong(3, sequence);
        message.setString(4, text);
        message.setLong(5, createdAt.toEpochMilli());
        message.executeUpdate();
        PreparedStatement delivery = session.prepare("INSERT INTO deliveries"
                + " (message_id, state, attempts, next_attempt_at, last_error, updated_at) VALUES (?, ?, 0, NULL, NULL, ?)");
        delivery.setString(1, id);
        delivery.setString(2, state.wireName());
        delivery.setLong(3, createdAt.toEpochMilli());
        delivery.executeUpdate();
        return this;
    }

    @Override
    public void close() throws SQLException {
        session.close();
    }
}
