package relay.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.sqlite.SQLiteConnection;

/**
 * One SQLite connection with its statements prepared once and reused, since preparing costs more than running
 * most of our statements. Used by one thread at a time.
 *
 * <p>sqlite-jdbc leaves a prepared statement unusable once running it failed (every later run throws "statement is
 * not executing"), so a statement that failed is never reused: {@link #run} drops it, and callers drop them all with
 * {@link #forgetPrepared()} after a failure they did not run themselves. Otherwise one failed COMMIT on a full disk
 * would fail every later write until a restart.
 */
final class SqlSession implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    private SqlSession(Connection connection) {
        this.connection = connection;
    }

    static SqlSession open(Path database) throws SQLException {
        return new SqlSession(DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath()));
    }

    /** The statement for {@code sql}, parameters cleared; callers close only the result sets they open. */
    PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement statement = prepared.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            prepared.put(sql, statement);
        } else {
            statement.clearParameters();
        }
        return statement;
    }

    /** Runs {@code sql} through a cached statement: for the transaction verbs repeated on every batch. */
    void run(String sql) throws SQLException {
        PreparedStatement statement = prepare(sql);
        try {
            statement.execute();
        } catch (SQLException e) {
            prepared.remove(sql);
            closeQuietly(statement, e);
            throw e;
        }
    }

    /** Closes every cached statement, so that the next use of each prepares it afresh. */
    void forgetPrepared() {
        for (PreparedStatement statement : prepared.values()) {
            closeQuietly(statement, null);
        }
        prepared.clear();
    }

    /** Rows inserted, updated or deleted on this connection since it opened: tells a write from a no-op. */
    long totalChanges() throws SQLException {
        return connection.unwrap(SQLiteConnection.class).getDatabase().total_changes();
    }

    private static void closeQuietly(PreparedStatement statement, SQLException failure) {
        try {
            statement.close();
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
        }
    }

    /** Runs a one-off statement that should not stay prepared (pragmas, schema changes). */
    void runOnce(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /**
     * Runs every statement of {@code script} in order. SQLite itself splits them (sqlite3_exec), so a trigger's body,
     * whose statements end in semicolons too, stays whole.
     */
    void runScript(String script) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(script);
        }
    }

    @Override
    public void close() throws SQLException {
        try {
            for (PreparedStatement statement : prepared.values()) {
                statement.close();
            }
        } finally {
            prepared.clear();
            connection.close();
        }
    }
}
