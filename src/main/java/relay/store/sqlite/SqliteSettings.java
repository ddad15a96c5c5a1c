package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import relay.store.SettingsStore;

/** Saved configuration in chat.db, written through the store's one writer (one transaction) and read by its readers. */
public final class SqliteSettings implements SettingsStore {
    private static final String ALL = "SELECT key, value FROM settings";
    private static final String CLEAR = "DELETE FROM settings";
    private static final String PUT = "INSERT INTO settings (key, value) VALUES (?, ?)";

    private final SqliteStore store;

    public SqliteSettings(SqliteStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Map<String, String> all() {
        return store.read(session -> {
            Map<String, String> settings = new HashMap<>();
            try (ResultSet rows = session.prepare(ALL).executeQuery()) {
                while (rows.next()) {
                    settings.put(rows.getString(1), rows.getString(2));
                }
            }
            return Map.copyOf(settings);
        });
    }

    @Override
    public void replace(Map<String, String> settings) {
        Map<String, String> copy = Map.copyOf(settings);
        store.write(session -> {
            session.prepare(CLEAR).executeUpdate();
            PreparedStatement put = session.prepare(PUT);
            for (Map.Entry<String, String> setting : copy.entrySet()) {
                put.setString(1, setting.getKey());
                put.setString(2, setting.getValue());
                put.executeUpdate();
            }
            return copy.size();
        });
    }
}
