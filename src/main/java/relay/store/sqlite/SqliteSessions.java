package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import relay.store.Sessions;

/**
 * Signed-in sessions in chat.db. Only a hash of each session id is kept: a copy of the database gives no cookie that
 * works. Writes go through the store's one writer, reads through its readers.
 */
public final class SqliteSessions implements Sessions {
    private static final String DELETE_EXPIRED = "DELETE FROM sessions WHERE expires_at <= ?";
    private static final String INSERT = "INSERT INTO sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)";
    // rowid breaks ties between sessions started in the same millisecond: the later insert is the newer one.
    private static final String DELETE_BEYOND = "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions"
            + " ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)";
    private static final String ACTIVE = "SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?";
    private static final String DELETE = "DELETE FROM sessions WHERE id_hash = ?";

    private final SqliteStore store;

    public SqliteSessions(SqliteStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public void add(String idHash, Instant createdAt, Instant expiresAt, int keep) {
        Objects.requireNonNull(idHash, "idHash");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1: " + keep);
        }
        store.write(session -> {
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

    @Override
    public boolean isActive(String idHash, Instant now) {
        return store.read(session -> {
            PreparedStatement query = session.prepare(ACTIVE);
            query.setString(1, idHash);
            query.setLong(2, now.toEpochMilli());
            try (ResultSet row = query.executeQuery()) {
                return row.next();
            }
        });
    }

    @Override
    public void remove(String idHash) {
        store.write(session -> {
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
