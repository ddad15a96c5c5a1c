package relay.store.postgres;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import relay.store.SettingsStore;

/**
 * The configuration saved on the settings page, in the database every instance shares; and beside it, in a row of
 * its own that the configuration's reads and writes leave alone, the key that signs attachment links, so that a link
 * one instance made opens on every other.
 */
public final class PostgresSettings implements SettingsStore {
    /** Lower case, so no configuration key (upper case) can ever be saved under it. */
    static final String LINK_KEY = "attachment_link_key";
    private static final String ALL = "SELECT key, value FROM settings WHERE key <> '" + LINK_KEY + "'";
    private static final String CLEAR = "DELETE FROM settings WHERE key <> '" + LINK_KEY + "'";
    private static final String PUT = "INSERT INTO settings (key, value) VALUES (?, ?)";
    private static final String OFFER_LINK_KEY = "INSERT INTO settings (key, value) VALUES ('" + LINK_KEY + "', ?)"
            + " ON CONFLICT (key) DO NOTHING";
    private static final String LINK_KEY_VALUE = "SELECT value FROM settings WHERE key = '" + LINK_KEY + "'";

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

    /**
     * The key that signs attachment links for every instance: {@code candidate} if none was stored yet (it is stored
     * now), else the one stored. Instances starting together agree: the insert of the second waits for the first's
     * commit and then does nothing, and the read after it sees the first's key.
     */
    public byte[] linkKey(byte[] candidate) {
        String offered = Base64.getEncoder().encodeToString(candidate);
        String stored = store.transaction(connection -> {
            Sql.update(connection, OFFER_LINK_KEY, offered);
            return Sql.first(connection, LINK_KEY_VALUE, row -> row.getString(1)).orElseThrow();
        });
        return Base64.getDecoder().decode(stored);
    }
}
