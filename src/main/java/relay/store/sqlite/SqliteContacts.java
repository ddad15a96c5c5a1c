package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import relay.store.Contacts;
import relay.store.SearchText;

/** Contact names in chat.db, written through the store's one writer and read through its readers. */
public final class SqliteContacts implements Contacts {
    private static final String ALL = "SELECT phone, name FROM contacts";
    private static final String PUT = "INSERT INTO contacts (phone, name, name_key) VALUES (?, ?, ?)"
            + " ON CONFLICT (phone) DO UPDATE SET name = excluded.name, name_key = excluded.name_key";
    private static final String REMOVE = "DELETE FROM contacts WHERE phone = ?";

    private final SqliteStore store;

    public SqliteContacts(SqliteStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Map<String, String> all() {
        return store.read(session -> {
            Map<String, String> names = new HashMap<>();
            try (ResultSet rows = session.prepare(ALL).executeQuery()) {
                while (rows.next()) {
                    names.put(rows.getString(1), rows.getString(2));
                }
            }
            return Map.copyOf(names);
        });
    }

    @Override
    public void put(String phone, String name) {
        Objects.requireNonNull(phone, "phone");
        Objects.requireNonNull(name, "name");
        store.write(session -> {
            PreparedStatement put = session.prepare(PUT);
            put.setString(1, phone);
            put.setString(2, name);
            put.setString(3, SearchText.fold(name));
            return put.executeUpdate();
        });
    }

    @Override
    public boolean remove(String phone) {
        Objects.requireNonNull(phone, "phone");
        return store.write(session -> {
            PreparedStatement remove = session.prepare(REMOVE);
            remove.setString(1, phone);
            return remove.executeUpdate() == 1;
        });
    }
}
