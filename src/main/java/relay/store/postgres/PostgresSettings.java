package relay.store.postgres;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import relay.store.SettingsStore;

/** The configuration saved on the settings page, in the database every instance shares. */
public final class PostgresSettings implements SettingsStore {
    private static final String ALL = "SELECT key, value FROM settings";
    private static final String CLEAR = "DELETE FROM settings";
    private static final String PUT = "INSERT INTO settings (key, value) VALUES (?, ?)";

    private final PostgresStore store;

    public PostgresSettings(PostgresStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Map<String, String> all() {
        return store.transaction(connection -> {
            Map<String, String> settings = new HashMap<>();
            Sql.list(connection, ALL, row -> settings.put(row.getString(1), row.getString(2)));
            return Map.copyOf(settings);
        });
    }

    @Override
    public void replace(Map<String, String> settings) {
        Map<String, String> copy = Map.copyOf(settings);
        store.transaction(connection -> {
            Sql.update(connection, CLEAR);
            for (Map.Entry<String, String> setting : copy.entrySet()) {
                Sql.update(connection, PUT, setting.getKey(), setting.getValue());
            }
            return copy.size();
        });
    }
}
