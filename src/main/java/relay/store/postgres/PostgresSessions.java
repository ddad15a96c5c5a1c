package relay.store.postgres;

import java.time.Instant;
import java.util.Objects;
import relay.store.Sessions;

/**
 * Signed-in sessions in PostgreSQL: a sign-in on one instance is valid on every other. Only a hash of each session
 * id is kept.
 */
public final class PostgresSessions implements Sessions {
    private static final String DELETE_EXPIRED = "DELETE FROM sessions WHERE expires_at <= ?";
    private static final String INSERT = "INSERT INTO sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)";
    // line breaks ties between sessions started in the same millisecond: the later insert is the newer one.
    private static final String DELETE_BEYOND = "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions"
            + " ORDER BY created_at DESC, line DESC OFFSET ?)";
    private static final String ACTIVE = "SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?";
    private static final String DELETE = "DELETE FROM sessions WHERE id_hash = ?";

    private final PostgresStore store;

    public PostgresSessions(PostgresStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public void add(String idHash, Instant createdAt, Instant expiresAt, int keep) {
        Objects.requireNonNull(idHash, "idHash");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1: " + keep);
        }
        store.transaction(connection -> {
            Sql.update(connection, DELETE_EXPIRED, createdAt);
            Sql.update(connection, INSERT, idHash, createdAt, expiresAt);
            return Sql.update(connection, DELETE_BEYOND, keep);
        });
    }

    @Override
    public boolean isActive(String idHash, Instant now) {
        return store.transaction(connection -> Sql.exists(connection, ACTIVE, idHash, now));
    }

    @Override
    public void remove(String idHash) {
        store.transaction(connection -> Sql.update(connection, DELETE, idHash));
    }
}
