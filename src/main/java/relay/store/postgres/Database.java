package relay.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import relay.log.EventLog;
import relay.store.StorageException;
import relay.store.StorageFault;

/**
 * The pool of connections to PostgreSQL and the one way work reaches it: {@link #transaction}, which commits or rolls
 * back as a whole, runs it again when PostgreSQL broke a deadlock or a serialization conflict, and turns a failure
 * into a {@link StorageException} (a fault an operator acts on) or an {@link UncheckedIOException} (anything else).
 *
 * <p>It also follows the store's health as SQLite's store does: the first failure opens an incident, logged once, and
 * the next successful write closes it.
 */
final class Database implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Database.class);
    private static final int ATTEMPTS = 3;
    /** How long a request waits for a connection before the database counts as unreachable. */
    private static final Duration CONNECTION_WAIT = Duration.ofSeconds(5);
    /** A failing store is probed once it has been this long without a failure or a probe. */
    private static final Duration QUIET_BEFORE_PROBE = Duration.ofSeconds(1);

    /** Work done on one connection, inside one transaction. */
    @FunctionalInterface
    interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private final HikariDataSource pool;
    private final InstantSource clock;
    private final AtomicReference<StorageFault> incident = new AtomicReference<>();
    private final AtomicReference<Instant> lastActivity = new AtomicReference<>(Instant.MIN);

    private Database(HikariDataSource pool, InstantSource clock) {
        this.pool = pool;
        this.clock = clock;
    }

    /**
     * Opens a pool of up to {@code size} connections and makes the first, so an unreachable database or a wrong
     * password is told at start.
     *
     * @param where how the operator knows the database (the URL with its password masked), for messages
     * @throws IOException with a message fit to show as it is
     */
    static Database open(String jdbcUrl, String user, String password, int size, String where, InstantSource clock)
            throws IOException {
        HikariConfig config = new HikariConfig();
        config.setPoolName("relay-postgres");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user.isEmpty() ? null : user);
        config.setPassword(password.isEmpty() ? null : password);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(2, size));
        config.setAutoCommit(false);
        config.setConnectionTimeout(CONNECTION_WAIT.toMillis());
        config.addDataSourceProperty("ApplicationName", "chat-webhook-relay");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // A database that stops answering fails the call (503) instead of holding a request forever.
        config.addDataSourceProperty("socketTimeout", "60");
        try {
            return new Database(new HikariDataSource(config), clock);
        } catch (HikariPool.PoolInitializationException e) {
            String code = e.getCause() instanceof SQLException sql ? Faults.codeOf(sql) : e.getClass().getSimpleName();
            throw new IOException("PostgreSQL at " + where + " cannot be used: " + reason(e.getCause()) + " ("
                    + code + ")", e);
        }
    }

    /** What the driver says went wrong at the first connection: its message holds no password. */
    private static String reason(Throwable cause) {
        return cause == null || cause.getMessage() == null ? "no connection could be made" : cause.getMessage();
    }

    /**
     * Runs {@code work} in one transaction and commits it; on a deadlock or serialization failure, runs it again (a
     * few times). An exception of the work rolls everything back and is thrown as it is, unless it is an
     * {@link SQLException}: see the class comment.
     */
    <T> T transaction(Work<T> work) {
        if (pool.isClosed()) {
            throw new IllegalStateException("the store is closed");
        }
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = pool.getConnection()) {
                try {
                    T result = work.apply(connection);
                    connection.commit();
                    succeeded();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(connection, e);
                    throw e;
                }
            } catch (SQLException e) {
                if (attempt < ATTEMPTS && Faults.isRetryable(e)) {
                    continue;
                }
                throw failure(e);
            }
        }
    }

    private static void rollbackQuietly(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /** A failure as the caller throws it, recording and logging a storage fault. */
    RuntimeException failure(SQLException e) {
        Optional<StorageFault> fault = Faults.of(e);
        if (fault.isEmpty()) {
            return new UncheckedIOException(new IOException(Faults.PART + ": " + e.getMessage(), e));
        }
        lastActivity.set(clock.instant());
        if (incident.getAndSet(fault.get()) != fault.get()) {
            LOG.error("store." + fault.get().wireName(), describe(fault.get()) + " (" + Faults.codeOf(e) + ")", null,
                    "part", Faults.PART, "fault", fault.get().wireName(), "code", Faults.codeOf(e));
        }
        return Faults.exception(fault.get(), e);
    }

    private void succeeded() {
        StorageFault was = incident.getAndSet(null);
        if (was != null) {
            LOG.info("store.recovered", "✅ " + Faults.PART + " writable again (it was " + was.wireName() + ")",
                    "part", Faults.PART, "was", was.wireName());
        }
    }

    /** The open incident; empty when the last write succeeded. */
    Optional<StorageFault> fault() {
        return Optional.ofNullable(incident.get());
    }

    /**
     * Whether a health check should probe now: an incident is open and nothing failed or was probed in the last
     * second; true for one caller at a time.
     */
    boolean claimProbe() {
        if (incident.get() == null) {
            return false;
        }
        Instant now = clock.instant();
        Instant last = lastActivity.get();
        return !now.isBefore(last.plus(QUIET_BEFORE_PROBE)) && lastActivity.compareAndSet(last, now);
    }

    private static String describe(StorageFault fault) {
        return switch (fault) {
            case FULL -> "💾 " + Faults.PART + ": the database server's disk is full; writes are refused with 507 until"
                    + " space is freed";
            case UNWRITABLE -> "🔒 " + Faults.PART + ": the database refuses writes (a read-only standby, or missing"
                    + " privileges); writes are refused with 507 until it accepts them";
            case BUSY -> "⏳ " + Faults.PART + ": the database is too busy (connections, locks or time ran out);"
                    + " requests are refused with 503 until it answers again";
            case UNREACHABLE -> "💥 " + Faults.PART + ": the database cannot be reached; requests are refused with 503"
                    + " until it answers again";
            case CORRUPT -> "💥 " + Faults.PART + ": the database reports damaged data; requests are refused with 503"
                    + " — restore it from a backup";
        };
    }

    @Override
    public void close() {
        pool.close();
    }
}
