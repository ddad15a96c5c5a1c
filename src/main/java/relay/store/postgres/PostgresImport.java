package relay.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import relay.store.StoreCopy;
import relay.store.StoreCopy.Row;
import relay.store.StoreCopy.Table;

/**
 * A PostgreSQL store as the target of a {@link StoreCopy}: everything in one transaction, so a copy that fails or is
 * refused leaves the database as it was, and one that succeeds is whole. Only an empty database is copied into; two
 * copies started at once queue on an advisory lock and the second finds the database no longer empty.
 */
public final class PostgresImport implements StoreCopy.Target {
    /** Taken for the copy's transaction ("relay-cp" in ASCII); the migrations' lock is another. */
    private static final long COPY_LOCK = 0x72656c61792d6370L;
    private static final int BATCH = 500;
    private static final String NOT_EMPTY = "SELECT CASE"
            + " WHEN EXISTS (SELECT 1 FROM messages) THEN 'messages'"
            + " WHEN EXISTS (SELECT 1 FROM attachments) OR EXISTS (SELECT 1 FROM attachment_contents)"
            + " THEN 'attachments'"
            + " WHEN EXISTS (SELECT 1 FROM contacts) THEN 'contacts'"
            + " WHEN EXISTS (SELECT 1 FROM sessions) THEN 'sign-in sessions'"
            + " WHEN EXISTS (SELECT 1 FROM retired_sequences) THEN 'retired sequence numbers'"
            + " WHEN EXISTS (SELECT 1 FROM settings WHERE key <> '" + PostgresSettings.LINK_KEY + "')"
            + " THEN 'saved settings' ELSE '' END";
    private static final String FILENAME = "SELECT filename FROM attachments WHERE id = ?";
    // A copy keeps the links the source signed: its key replaces one an instance may have stored already.
    private static final String LINK_KEY = "INSERT INTO settings (key, value) VALUES ('" + PostgresSettings.LINK_KEY
            + "', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

    private final PostgresStore store;
    private final InstantSource clock;

    public PostgresImport(PostgresStore store, InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public StoreCopy.Counts copyFrom(StoreCopy.Source source, Optional<byte[]> linkKey) throws IOException {
        try {
            return store.transaction(connection -> copy(connection, source, linkKey));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private StoreCopy.Counts copy(Connection connection, StoreCopy.Source source, Optional<byte[]> linkKey)
            throws SQLException {
        Sql.first(connection, "SELECT pg_advisory_xact_lock(" + COPY_LOCK + ")", row -> true);
        Optional<String> found = Sql.first(connection, NOT_EMPTY, row -> row.getString(1)).filter(s -> !s.isEmpty());
        if (found.isPresent()) {
            throw new StoreCopy.NotEmpty("it holds " + found.get() + " already; copy into an empty database");
        }
        Map<Table, Long> counts = new EnumMap<>(Table.class);
        Contents contents = new Contents(connection, source);
        for (Table table : Table.values()) {
            try (Inserts inserts = new Inserts(connection, table)) {
                source.rows(table, row -> {
                    if (table == Table.ATTACHMENTS) {
                        contents.copy((String) row.get(table.columns().indexOf("sha256")));
                    }
                    inserts.add(row);
                });
                counts.put(table, inserts.finish());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (linkKey.isPresent()) {
            Sql.update(connection, LINK_KEY, Base64.getEncoder().encodeToString(linkKey.get()));
        }
        return new StoreCopy.Counts(counts, contents.count, contents.bytes);
    }

    /** The attachments' bytes, each content once however many attachments share it. */
    private final class Contents {
        private final Connection connection;
        private final StoreCopy.Source source;
        private final Set<String> copied = new HashSet<>();
        private long count;
        private long bytes;

        Contents(Connection connection, StoreCopy.Source source) {
            this.connection = connection;
            this.source = source;
        }

        void copy(String sha256) throws IOException {
            if (!copied.add(sha256)) {
                return;
            }
            try (InputStream in = source.content(sha256)) {
                bytes += Chunks.copyIn(connection, sha256, in, clock.instant());
                count++;
            } catch (SQLException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
    }

    /**
     * One table's rows inserted in batches on one statement. The target derives what the source derived its own way:
     * a message's search text, the deliveries' and attempts' row numbers (in the order the rows come), and the
     * conversation list (its triggers).
     */
    private static final class Inserts implements AutoCloseable {
        private final Connection connection;
        private final Table table;
        private final PreparedStatement statement;
        private long count;
        private int pending;

        Inserts(Connection connection, Table table) throws SQLException {
            this.connection = connection;
            this.table = table;
            this.statement = connection.prepareStatement(sql(table));
        }

        private static String sql(Table table) {
            List<String> columns = new ArrayList<>(table.columns());
            List<String> values = new ArrayList<>(columns.stream().map(column -> "?").toList());
            String conflict = "";
            switch (table) {
                case MESSAGES -> {
                    columns.add("search_text");
                    values.add("?");
                }
                // SQLite keeps a flag as 0 or 1.
                case ATTEMPTS -> values.set(columns.indexOf("succeeded"), "CAST(? AS INTEGER) <> 0");
                // An instance that ran on the empty database may have counted its (empty) clean-ups.
                case HOUSEKEEPING_TOTALS -> conflict = " ON CONFLICT (kind) DO UPDATE"
                        + " SET deleted = housekeeping_totals.deleted + excluded.deleted";
                default -> { }
            }
            return "INSERT INTO " + table.sqlName() + " (" + String.join(", ", columns) + ") VALUES ("
                    + String.join(", ", values) + ")" + conflict;
        }

        void add(Row row) throws IOException {
            try {
                List<Object> values = new ArrayList<>(row.values());
                if (table == Table.MESSAGES) {
                    values.add(Updates.searchText((String) row.get(table.columns().indexOf("text")),
                            filename((String) row.get(table.columns().indexOf("attachment_id")))));
                }
                for (int i = 0; i < values.size(); i++) {
                    bind(i + 1, values.get(i));
                }
                statement.addBatch();
                count++;
                if (++pending == BATCH) {
                    flush();
                }
            } catch (SQLException e) {
                throw new IOException(table.noun() + " " + row.get(0) + " could not be copied: " + e.getMessage(), e);
            }
        }

        private String filename(String attachmentId) throws SQLException {
            return attachmentId == null ? null
                    : Sql.first(connection, FILENAME, row -> row.getString(1), attachmentId).orElse(null);
        }

        private void bind(int index, Object value) throws SQLException {
            switch (value) {
                case null -> statement.setNull(index, Types.NULL);
                case Long whole -> statement.setLong(index, whole);
                case Integer whole -> statement.setInt(index, whole);
                case String text -> statement.setString(index, text);
                default -> throw new IllegalArgumentException("no binding for " + value.getClass());
            }
        }

        private void flush() throws SQLException {
            if (pending > 0) {
                statement.executeBatch();
                pending = 0;
            }
        }

        long finish() throws SQLException {
            flush();
            return count;
        }

        @Override
        public void close() throws SQLException {
            statement.close();
        }
    }
}
