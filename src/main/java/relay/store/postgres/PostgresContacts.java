package relay.store.postgres;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import relay.store.Contacts;
import relay.store.SearchText;

/** Contact names in PostgreSQL, shared by every instance on the database. */
public final class PostgresContacts implements Contacts {
    private static final String ALL = "SELECT phone, name FROM contacts";
    private static final String PUT = "INSERT INTO contacts (phone, name, name_key) VALUES (?, ?, ?)"
            + " ON CONFLICT (phone) DO UPDATE SET name = excluded.name, name_key = excluded.name_key";
    private static final String REMOVE = "DELETE FROM contacts WHERE phone = ?";

    private final PostgresStore store;

    public PostgresContacts(PostgresStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Map<String, String> all() {
        return store.transaction(connection -> {
            Map<String, String> names = new HashMap<>();
            Sql.list(connection, ALL, row -> names.put(row.getString(1), row.getString(2)));
            return Map.copyOf(names);
        });
    }

    @Override
    public void put(String phone, String name) {
        Objects.requireNonNull(phone, "phone");
        Objects.requireNonNull(name, "name");
        store.transaction(connection -> Sql.update(connection, PUT, phone, name, SearchText.fold(name)));
    }

    @Override
    public boolean remove(String phone) {
        Objects.requireNonNull(phone, "phone");
        return store.transaction(connection -> Sql.update(connection, REMOVE, phone) == 1);
    }
}
