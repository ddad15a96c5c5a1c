package relay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import relay.store.postgres.PostgresStore;

/**
 * The store the API tests run the service on, chosen by the system property {@code test.backend}: {@code sqlite}
 * (the default) keeps the data in the data folder; {@code postgres} gives each data folder a database of its own on
 * the tests' throwaway cluster ({@link Postgres}), the same one again for the same folder, so an app restarted on its
 * data finds it. {@code make test} runs the API tests once with each.
 */
public enum TestBackend {
    SQLITE, POSTGRES;

    public static final String PROPERTY = "test.backend";
    /** By data folder (absolute, normalized): fresh per folder keeps tests independent of each other. */
    private static final Map<Path, Postgres.Database> DATABASES = new ConcurrentHashMap<>();
    private static final ReentrantLock MIGRATING = new ReentrantLock();
    /**
     * A database migrated once, copied for each data folder: copying is quicker than migrating every one anew (the
     * migrations themselves are the store tests' to prove). Guarded by {@link #MIGRATING}.
     */
    private static Postgres.Database migrated;

    /** The backend this JVM's tests run on; an unknown name fails rather than quietly testing SQLite. */
    public static TestBackend current() {
        String name = System.getProperty(PROPERTY, "sqlite");
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sqlite" -> SQLITE;
            case "postgres" -> POSTGRES;
            default -> throw new IllegalStateException(PROPERTY + "=" + name + ": expected sqlite or postgres");
        };
    }

    /** The PostgreSQL database that holds {@code dataDir}'s data on this backend; none on SQLite. */
    public Optional<Postgres.Database> databaseFor(Path dataDir) {
        if (this == SQLITE) {
            return Optional.empty();
        }
        return Optional.of(DATABASES.computeIfAbsent(dataDir.toAbsolutePath().normalize(),
                folder -> Postgres.copyOf(migrated())));
    }

    private static Postgres.Database migrated() {
        MIGRATING.lock();
        try {
            if (migrated == null) {
                Postgres.Database database = Postgres.newDatabase();
                PostgresStore.open(database.jdbcUrl(), database.user(), database.password(), database.jdbcUrl(), 1,
                        InstantSource.system()).close();
                migrated = database;
            }
            return migrated;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            MIGRATING.unlock();
        }
    }
}
