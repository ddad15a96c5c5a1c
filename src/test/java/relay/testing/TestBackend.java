package relay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
    private static final ReentrantLock DATABASES_LOCK = new ReentrantLock();
    /**
     * By data folder (absolute, normalized): fresh per folder keeps tests independent of each other. Guarded by
     * {@link #DATABASES_LOCK}.
     */
    private static final Map<Path, Postgres.Database> DATABASES = new HashMap<>();
    /**
     * A database migrated once, copied for each data folder: copying is quicker than migrating every one anew (the
     * migrations themselves are the store tests' to prove). Guarded by {@link #DATABASES_LOCK}.
     */
    private static Postgres.Database migrated;

    /** The backend this JVM's tests run on; an unknown name fails rather than quietly testing SQLite. */
    public static TestBackend current() {
        return named(System.getProperty(PROPERTY, "sqlite"));
    }

    static TestBackend named(String name) {
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
        Path folder = dataDir.toAbsolutePath().normalize();
        DATABASES_LOCK.lock();
        try {
            Postgres.Database database = DATABASES.get(folder);
            if (database == null) {
                dropThoseOfRemovedFolders();
                database = Postgres.copyOf(migrated());
                DATABASES.put(folder, database);
            }
            return Optional.of(database);
        } finally {
            DATABASES_LOCK.unlock();
        }
    }

    /**
     * A test's data folder goes when the test ends (JUnit's {@code @TempDir}), and its database with it: the cluster
     * stays small, and quick to delete when the JVM exits.
     */
    private static void dropThoseOfRemovedFolders() {
        DATABASES.entrySet().removeIf(entry -> {
            if (Files.exists(entry.getKey())) {
                return false;
            }
            Postgres.drop(entry.getValue());
            return true;
        });
    }

    private static Postgres.Database migrated() {
        if (migrated == null) {
            Postgres.Database database = Postgres.newDatabase();
            try {
                PostgresStore.open(database.jdbcUrl(), database.user(), database.password(), database.jdbcUrl(), 1,
                        InstantSource.system()).close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            migrated = database;
        }
        return migrated;
    }
}
