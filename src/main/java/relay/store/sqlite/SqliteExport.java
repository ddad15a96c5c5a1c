package relay.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import relay.store.StorageException;
import relay.store.StoreCopy;

/**
 * A SQLite store as the source of a {@link StoreCopy}: each table's rows in the order they were written (rowid
 * order), and each attachment's bytes from its file.
 */
public final class SqliteExport implements StoreCopy.Source {
    private final SqliteStore store;

    public SqliteExport(SqliteStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public void rows(StoreCopy.Table table, StoreCopy.RowSink sink) throws IOException {
        String sql = "SELECT " + String.join(", ", table.columns()) + " FROM " + table.sqlName() + " ORDER BY rowid";
        try {
            store.read(session -> {
                try (ResultSet rows = session.prepare(sql).executeQuery()) {
                    while (rows.next()) {
                        accept(sink, row(rows, table.columns().size()));
                    }
                }
                return null;
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void accept(StoreCopy.RowSink sink, StoreCopy.Row row) {
        try {
            sink.accept(row);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SQLite hands back whole numbers as Integer or Long by their size, text as String, NULL as null. */
    private static StoreCopy.Row row(ResultSet rows, int columns) throws SQLException {
        List<Object> values = new ArrayList<>(columns);
        for (int i = 1; i <= columns; i++) {
            values.add(rows.getObject(i));
        }
        return new StoreCopy.Row(values);
    }

    @Override
    public InputStream content(String sha256) throws IOException {
        try {
            return Channels.newInputStream(store.open(sha256));
        } catch (StorageException e) {
            throw new IOException("the file of attachment content " + sha256 + " cannot be read ("
                    + e.getMessage() + ")", e);
        }
    }
}
