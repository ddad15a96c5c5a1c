package relay.store.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;
import relay.domain.Circuit;
import relay.store.CircuitStore;
import relay.store.Signal;
import relay.store.jdbc.StoredRows;

/**
 * The circuit breaker every instance shares, in the one row of {@code circuit}. A move is one short transaction:
 * the row is read {@code FOR UPDATE}, so a concurrent move of another instance waits for this one and then starts
 * from its result (two instances can never both take the half-open probe), the step is applied, and its result
 * written only when it differs. Reads are one primary-key lookup, cheap enough for each instance to look a few times
 * a second. A written move is also announced to the other instances on commit, so that they read it at once rather
 * than at their next look.
 */
public final class PostgresCircuit implements CircuitStore {
    private static final String COLUMNS =
            "state, consecutive_failures, opened_at, retry_at, paused_reason, probe_holder, probe_until, version";
    private static final String READ = "SELECT " + COLUMNS + " FROM circuit WHERE id = 1";
    private static final String LOCK = READ + " FOR UPDATE";
    private static final String WRITE = "UPDATE circuit SET state = ?, consecutive_failures = ?, opened_at = ?,"
            + " retry_at = ?, paused_reason = ?, probe_holder = ?, probe_until = ?, version = version + 1"
            + " WHERE id = 1 RETURNING " + COLUMNS;
    private static final String ANNOUNCE = "SELECT pg_notify(?, ?)";

    private final PostgresStore store;
    private final String announcement;

    /** @param instanceId names this instance in the announcements of its moves */
    public PostgresCircuit(PostgresStore store, String instanceId) {
        this.store = Objects.requireNonNull(store, "store");
        this.announcement = PostgresSignals.encode(instanceId, new Signal.Circuit());
    }

    @Override
    public Circuit read() {
        return store.transaction(connection -> Sql.first(connection, READ, PostgresCircuit::circuit).orElseThrow());
    }

    @Override
    public Change update(UnaryOperator<Circuit> step) {
        return store.transaction(connection -> {
            Circuit before = Sql.first(connection, LOCK, PostgresCircuit::circuit).orElseThrow();
            Circuit next = step.apply(before);
            if (next.equals(before)) {
                return new Change(before, before);
            }
            Sql.exists(connection, ANNOUNCE, PostgresSignals.CHANNEL, announcement);
            // Read back as written, so that this instance's copy equals what the others will read.
            return new Change(before, Sql.first(connection, WRITE, PostgresCircuit::circuit, wireName(next.state()),
                    next.consecutiveFailures(), next.openedAt(), next.retryAt(), next.pausedReason(),
                    next.probeHolder(), next.probeUntil()).orElseThrow());
        });
    }

    @Override
    public boolean shared() {
        return true;
    }

    private static Circuit circuit(ResultSet row) throws SQLException {
        return new Circuit(Circuit.State.valueOf(row.getString(1).toUpperCase(Locale.ROOT)), row.getInt(2),
                StoredRows.instant(row, 3), StoredRows.instant(row, 4), row.getString(5), row.getString(6),
                StoredRows.instant(row, 7), row.getLong(8));
    }

    private static String wireName(Circuit.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
