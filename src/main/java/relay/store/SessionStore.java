package relay.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/**
 * Signed-in sessions in chat.db, so they survive a restart. Only a hash of each session id is kept: a copy of the
 * database gives no cookie that works. Writes go through the outbox's one writer, reads through its readers.
 */
public final class SessionStore {
    private static final String DELETE_EXPIRED = "DELETE FROM sessions WHERE expires_at <= ?";
    private static final String INSERT = "INSERT INTO sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)";
    // rowid breaks ties between sessions started in the same millisecond: the later insert is the newer one.
    private static final String DELETE_BEYOND = "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions"
            + " ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)";
    private static final String ACTIVE = "SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?";
    private static final String DELETE = "DELETE FROM sessions WHERE id_hash = ?";

    private final Outbox outbox;

    public SessionStore(Outbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    /**
     * Records a new session, forgets expired ones, and ends the oldest beyond {@code keep}, in one write.
     *
     * @param idHash the session id's hash, never the id itself
     */
    public void add(String idHash, Instant createdAt, Instant expiresAt, int keep) {
        Objects.requireNonNull(idHash, "idHash");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1: " + keep);
        }
        outbox.write(session -> {
            update(session, DELETE_EXPIRED, statement -> statement.setLong(1, createdAt.toEpochMilli()));
            update(session, INSERT, statement -> {
                statement.setString(1, idHash);
                statement.setLong(2, createdAt.toEpochMilli());
                statement.setLong(3, expiresAt.toEpochMilli());
            });
            update(session, DELETE_BEYOND, statement -> statement.setInt(1, keep));
            return null;
        });
    }

    /** Whether a session with this hash exists and has not expired at {@code now}. */
    public boolean isActive(String idHash, Instant now) {
        return outbox.read(session -> {
            PreparedStatement query = session.prepare(ACTIVE);
            query.setString(1, idHash);
            query.setLong(2, now.toEpochMilli());
            try (ResultSet row = query.executeQuery()) {
                return row.next();
            }
        });
    }

    /** Ends the session; nothing happens when there is none. */
    public void remove(String idHash) {
        outbox.write(session -> {
            update(session, DELETE, statement -> statement.setString(1, idHash));
            return null;
        });
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private static void update(SqlSession session, String sql, Binder binder) throws SQLException {
        PreparedStatement statement = session.prepare(sql);
        binder.bind(statement);
        statement.executeUpdate();
    }
}
