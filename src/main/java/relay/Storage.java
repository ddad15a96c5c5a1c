package relay;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import java.util.random.RandomGenerator;
import relay.config.Config;
import relay.config.DatabaseUrl;
import relay.domain.Scheduler;
import relay.log.LibraryLog;
import relay.store.AttachmentStore;
import relay.store.CircuitStore;
import relay.store.Contacts;
import relay.store.DeliveryQueue;
import relay.store.MessageReads;
import relay.store.MessageSearch;
import relay.store.Sessions;
import relay.store.SettingsStore;
import relay.store.Signals;
import relay.store.StoreStatus;
import relay.store.postgres.PostgresCircuit;
import relay.store.postgres.PostgresContacts;
import relay.store.postgres.PostgresHousekeeper;
import relay.store.postgres.PostgresSearch;
import relay.store.postgres.PostgresSessions;
import relay.store.postgres.PostgresSettings;
import relay.store.postgres.PostgresSignals;
import relay.store.postgres.PostgresStore;
import relay.store.sqlite.Housekeeper;
import relay.store.sqlite.SqliteContacts;
import relay.store.sqlite.SqliteSearch;
import relay.store.sqlite.SqliteSessions;
import relay.store.sqlite.SqliteSettings;
import relay.store.sqlite.SqliteStore;
import relay.webhook.AttachmentLinks;

/**
 * The store's seams, served by the backend the configuration chose: PostgreSQL (attachments included) when
 * {@code DATABASE_URL} is set, else SQLite in {@code DATA_DIR}. The one place besides App that names a backend.
 *
 * @param circuit  the circuit breaker's state: in memory on SQLite (one process), a row every instance shares on
 *                 PostgreSQL
 * @param signals  hints to and from the other instances sharing the store (none on SQLite: one process)
 * @param sqlite   the SQLite store when that is the backend (for its housekeeping, and tests' fault seams)
 * @param postgres the PostgreSQL store when that is the backend (for its housekeeping)
 */
record Storage(DeliveryQueue queue, MessageReads reads, AttachmentStore attachments, StoreStatus status,
               Contacts contacts, MessageSearch search, Sessions sessions, SettingsStore settings,
               CircuitStore circuit, Signals signals, Optional<SqliteStore> sqlite,
               Optional<PostgresStore> postgres) implements AutoCloseable {

    /** @param instanceId names this instance in the hints it sends the others */
    static Storage open(Config config, InstantSource clock, String instanceId) throws IOException {
        if (config.databaseUrl().isPresent()) {
            DatabaseUrl url = config.databaseUrl().get();
            // Before the pool exists: its log lines may quote the URL.
            LibraryLog.redactWith(url::maskIn);
            PostgresStore store = PostgresStore.open(url.jdbcUrl(), url.user(), url.password().reveal(), url.masked(),
                    config.databasePoolSize(), clock);
            Signals signals;
            try {
                signals = PostgresSignals.open(url.jdbcUrl(), url.user(), url.password().reveal(), store, instanceId,
                        url.masked());
            } catch (IOException | RuntimeException e) {
                store.close();
                throw e;
            }
            return new Storage(store, store, store, store, new PostgresContacts(store), new PostgresSearch(store),
                    new PostgresSessions(store), new PostgresSettings(store), new PostgresCircuit(store, instanceId),
                    signals, Optional.empty(), Optional.of(store));
        }
        SqliteStore store = SqliteStore.open(config.dataDir(), clock, config.limits().walMaxBytes());
        return new Storage(store, store, store, store, new SqliteContacts(store), new SqliteSearch(store),
                new SqliteSessions(store), new SqliteSettings(store), CircuitStore.inMemory(), Signals.none(),
                Optional.of(store), Optional.empty());
    }

    /**
     * Signed attachment links, keyed so that every instance sharing the store checks what any of them signed: on
     * PostgreSQL the key is in the database (the first instance to start stores it), on SQLite in
     * {@code DATA_DIR/link.key}.
     */
    AttachmentLinks attachmentLinks(Path dataDir, URI publicBaseUrl, RandomGenerator random) throws IOException {
        if (postgres.isPresent()) {
            byte[] key = new PostgresSettings(postgres.get()).linkKey(AttachmentLinks.newKey(random));
            return AttachmentLinks.withKey(key, publicBaseUrl);
        }
        return AttachmentLinks.open(dataDir, publicBaseUrl, random);
    }

    /**
     * Starts the backend's housekeeping on {@code timer} (at once, then every hour).
     *
     * @return what stops it, waiting for a run under way
     */
    Runnable startHousekeeping(Config.Housekeeping settings, InstantSource clock, Scheduler timer) {
        if (sqlite.isPresent()) {
            return Housekeeper.start(sqlite.get(), settings.orphanUploadAge(), settings.retention(), clock,
                    timer)::close;
        }
        return PostgresHousekeeper.start(postgres.orElseThrow(), settings.orphanUploadAge(), settings.retention(),
                clock, timer)::close;
    }

    /** Where the data is, for the start-up line. */
    static String describe(Config config) {
        return config.databaseUrl().map(url -> "PostgreSQL at " + url.masked())
                .orElseGet(() -> config.dataDir().toAbsolutePath().normalize().toString());
    }

    @Override
    public void close() {
        signals.close();
        sqlite.ifPresent(SqliteStore::close);
        postgres.ifPresent(PostgresStore::close);
    }
}
