package relay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A second, read-only client of a running app's store, whichever backend holds it: what API tests read to check
 * that a request left nothing behind. One connection serves while the app runs (a test may check after each of a
 * thousand requests); once the app has stopped, each read connects for itself.
 */
final class StoreReader implements AutoCloseable {
    private final Path dataDir;
    private final Optional<Postgres.Database> database;
    private final ReentrantLock reading = new ReentrantLock();
    /** Guarded by {@link #reading}; opened at the first read while the app runs. */
    private Connection connection;
    /** Guarded by {@link #reading}. */
    private boolean closed;

    StoreReader(Path dataDir, Optional<Postgres.Database> database) {
        this.dataDir = dataDir;
        this.database = database;
    }

    long count(String sql) {
        return Long.parseLong(values(sql).getFirst());
    }

    /** See {@link RunningApp#storedAttachmentContents()}. */
    List<String> attachmentContents() throws IOException {
        if (database.isPresent()) {
            return values("SELECT 'content ' || sha256 FROM attachment_contents"
                    + " UNION ALL SELECT 'staging ' || staging_key FROM upload_staging"
                    + " UNION ALL SELECT DISTINCT 'chunks of ' || sha256 FROM attachment_chunks");
        }
        Path attachments = dataDir.resolve("attachments");
        try (Stream<Path> files = Stream.concat(Files.list(attachments), Files.list(attachments.resolve("tmp")))) {
            return files.filter(Files::isRegularFile).map(attachments::relativize).map(Path::toString).toList();
        }
    }

    /** The first column of each row {@code sql} returns, as text. */
    private List<String> values(String sql) {
        reading.lock();
        try {
            Connection reader = connection != null ? connection : connect();
            try (Statement statement = reader.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
                List<String> values = new ArrayList<>();
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
                return values;
            } finally {
                if (closed) {
                    reader.close();
                } else {
                    connection = reader;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the store: " + sql + " (" + e.getMessage() + ")", e);
        } finally {
            reading.unlock();
        }
    }

    private Connection connect() throws SQLException {
        if (database.isEmpty()) {
            return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("chat.db") + "?open_mode=1");
        }
        Connection reader = DriverManager.getConnection(database.get().jdbcUrl(), database.get().user(),
                database.get().password());
        reader.setReadOnly(true);
        return reader;
    }

    @Override
    public void close() {
        reading.lock();
        try {
            closed = true;
            if (connection != null) {
                connection.close();
                connection = null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not close the store reader (" + e.getMessage() + ")", e);
        } finally {
            reading.unlock();
        }
    }
}
