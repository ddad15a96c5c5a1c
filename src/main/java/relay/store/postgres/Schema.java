package relay.store.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The database layout as numbered migrations, recorded in {@code schema_version} (one row per migration applied).
 * Append new migrations; never edit one that has shipped.
 *
 * <p>Every instance migrates at start, all of them in one transaction holding an advisory lock: when several
 * instances start at once, one migrates and the others wait for it, then find nothing left to do.
 *
 * <p>The layout follows SQLite's (see relay.store.sqlite.Schema), so both answer alike: instants are epoch
 * milliseconds; ids compare byte by byte ({@code COLLATE "C"}) whatever the database's locale, as on SQLite;
 * {@code line} columns number rows in the order they were inserted, where SQLite has its rowid. Differences:
 * attachments' bytes live here too, in 1 MiB chunks ({@link Chunks}); an upload's hold on its content is a row, so
 * every instance sees it; message search reads a trigram index ({@code pg_trgm}) of {@code search_text}, each
 * message's text and file name folded as {@link relay.store.SearchText#fold} folds a query.
 */
final class Schema {
    /** Taken for the migrations' transaction; any constant that nothing else uses ("relay" in ASCII). */
    private static final long MIGRATION_LOCK = 0x72656c6179L;

    private static final List<String> MIGRATIONS = List.of("""
            CREATE EXTENSION IF NOT EXISTS pg_trgm;

            CREATE TABLE attachment_contents (
                sha256    TEXT COLLATE "C" PRIMARY KEY,
                size      BIGINT NOT NULL,
                stored_at BIGINT NOT NULL
            );
            -- Written under a staging key while the upload streams in, a chunk per transaction (its SHA-256 is known
            -- only at the end), then given the content's key in the transaction that records the content.
            CREATE TABLE upload_staging (
                staging_key TEXT COLLATE "C" PRIMARY KEY,
                started_at  BIGINT NOT NULL
            );
            CREATE TABLE attachment_chunks (
                sha256      TEXT COLLATE "C" NOT NULL,
                chunk_index INTEGER NOT NULL,
                bytes       BYTEA NOT NULL,
                PRIMARY KEY (sha256, chunk_index)
            );
            -- Media is compressed already: store the chunks as they are instead of trying to compress each.
            ALTER TABLE attachment_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
            CREATE TABLE upload_holds (
                line    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                sha256  TEXT COLLATE "C" NOT NULL REFERENCES attachment_contents (sha256),
                held_at BIGINT NOT NULL
            );
            CREATE INDEX upload_holds_by_sha256 ON upload_holds (sha256);

            CREATE TABLE attachments (
                id         TEXT COLLATE "C" PRIMARY KEY,
                sha256     TEXT COLLATE "C" NOT NULL,
                kind       TEXT NOT NULL,
                filename   TEXT NOT NULL,
                mime_type  TEXT NOT NULL,
                size       BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE INDEX attachments_by_sha256 ON attachments (sha256);
            CREATE INDEX attachments_by_age ON attachments (created_at);
            CREATE TABLE messages (
                id            TEXT COLLATE "C" PRIMARY KEY,
                phone         TEXT COLLATE "C" NOT NULL,
                sequence      BIGINT NOT NULL,
                text          TEXT,
                attachment_id TEXT COLLATE "C" REFERENCES attachments (id),
                created_at    BIGINT NOT NULL,
                search_key    BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                search_text   TEXT NOT NULL,
                UNIQUE (phone, sequence)
            );
            CREATE INDEX messages_by_age ON messages (created_at, id);
            CREATE INDEX messages_by_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
            CREATE INDEX messages_search ON messages USING gin (search_text gin_trgm_ops);
            CREATE TABLE deliveries (
                message_id      TEXT COLLATE "C" PRIMARY KEY REFERENCES messages (id),
                state           TEXT NOT NULL,
                attempts        INTEGER NOT NULL,
                next_attempt_at BIGINT,
                last_error      TEXT,
                updated_at      BIGINT NOT NULL,
                phone           TEXT COLLATE "C" NOT NULL,
                position        BIGINT NOT NULL,
                claimed_by      TEXT,
                claim_token     TEXT,
                lease_until     BIGINT,
                skipped_at      BIGINT,
                line            BIGINT GENERATED ALWAYS AS IDENTITY
            );
            CREATE INDEX deliveries_by_state ON deliveries (state);
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at, line)
                WHERE state IN ('queued', 'retrying', 'sending', 'held');
            CREATE INDEX deliveries_in_line ON deliveries (phone, state, position);
            CREATE TABLE attempts (
                id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_id       TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
                number           INTEGER NOT NULL,
                started_at       BIGINT NOT NULL,
                duration_ms      BIGINT NOT NULL,
                status_code      INTEGER,
                error            TEXT,
                response_snippet TEXT,
                succeeded        BOOLEAN NOT NULL
            );
            CREATE INDEX attempts_by_message ON attempts (message_id, id);
            CREATE INDEX attempts_by_outcome ON attempts (succeeded, started_at, id);

            CREATE TABLE sessions (
                id_hash    TEXT COLLATE "C" PRIMARY KEY,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                line       BIGINT GENERATED ALWAYS AS IDENTITY
            );
            CREATE INDEX sessions_by_age ON sessions (created_at, line);
            CREATE TABLE retired_sequences (
                phone         TEXT COLLATE "C" PRIMARY KEY,
                last_sequence BIGINT NOT NULL
            );
            CREATE TABLE housekeeping_totals (
                kind    TEXT PRIMARY KEY,
                deleted BIGINT NOT NULL
            );
            CREATE TABLE contacts (
                phone    TEXT COLLATE "C" PRIMARY KEY,
                name     TEXT NOT NULL,
                name_key TEXT NOT NULL
            );
            -- One row a health probe rewrites: a commit that succeeds means writes work again.
            CREATE TABLE health_probe (
                id INTEGER PRIMARY KEY,
                at BIGINT NOT NULL
            );
            INSERT INTO health_probe VALUES (1, 0);

            -- The sidebar's rows, one per phone, kept by triggers in the same transaction as every write to the
            -- deliveries, as on SQLite: a page of the sidebar is read from an index.
            CREATE TABLE conversations (
                phone           TEXT COLLATE "C" PRIMARY KEY,
                last_message_id TEXT COLLATE "C" NOT NULL,
                last_sequence   BIGINT NOT NULL,
                last_created_at BIGINT NOT NULL,
                total           BIGINT NOT NULL,
                queued          BIGINT NOT NULL,
                sending         BIGINT NOT NULL,
                retrying        BIGINT NOT NULL,
                held            BIGINT NOT NULL,
                delivered       BIGINT NOT NULL,
                failed          BIGINT NOT NULL,
                revision        BIGINT NOT NULL
            );
            CREATE INDEX conversations_by_activity ON conversations (last_created_at, last_message_id);
            CREATE FUNCTION conversations_on_new_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO conversations AS c
                SELECT m.phone, m.id, m.sequence, m.created_at, 1, (NEW.state = 'queued')::int,
                       (NEW.state = 'sending')::int, (NEW.state = 'retrying')::int, (NEW.state = 'held')::int,
                       (NEW.state = 'delivered')::int, (NEW.state = 'failed')::int, 1
                FROM messages m WHERE m.id = NEW.message_id
                ON CONFLICT (phone) DO UPDATE SET total = c.total + 1, revision = c.revision + 1,
                    queued = c.queued + excluded.queued, sending = c.sending + excluded.sending,
                    retrying = c.retrying + excluded.retrying, held = c.held + excluded.held,
                    delivered = c.delivered + excluded.delivered, failed = c.failed + excluded.failed,
                    last_message_id = CASE WHEN excluded.last_sequence > c.last_sequence
                                           THEN excluded.last_message_id ELSE c.last_message_id END,
                    last_created_at = CASE WHEN excluded.last_sequence > c.last_sequence
                                           THEN excluded.last_created_at ELSE c.last_created_at END,
                    last_sequence = GREATEST(excluded.last_sequence, c.last_sequence);
                RETURN NULL;
            END $$;
            CREATE TRIGGER conversations_on_new_delivery AFTER INSERT ON deliveries
                FOR EACH ROW EXECUTE FUNCTION conversations_on_new_delivery();
            CREATE FUNCTION conversations_on_delivery_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE conversations SET revision = revision + 1,
                    queued = queued + (NEW.state = 'queued')::int - (OLD.state = 'queued')::int,
                    sending = sending + (NEW.state = 'sending')::int - (OLD.state = 'sending')::int,
                    retrying = retrying + (NEW.state = 'retrying')::int - (OLD.state = 'retrying')::int,
                    held = held + (NEW.state = 'held')::int - (OLD.state = 'held')::int,
                    delivered = delivered + (NEW.state = 'delivered')::int - (OLD.state = 'delivered')::int,
                    failed = failed + (NEW.state = 'failed')::int - (OLD.state = 'failed')::int
                WHERE phone = NEW.phone;
                RETURN NULL;
            END $$;
            CREATE TRIGGER conversations_on_delivery_change AFTER UPDATE OF state ON deliveries
                FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
                EXECUTE FUNCTION conversations_on_delivery_change();
            CREATE FUNCTION conversations_on_delivery_removed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE conversations SET total = total - 1, revision = revision + 1,
                    queued = queued - (OLD.state = 'queued')::int, sending = sending - (OLD.state = 'sending')::int,
                    retrying = retrying - (OLD.state = 'retrying')::int, held = held - (OLD.state = 'held')::int,
                    delivered = delivered - (OLD.state = 'delivered')::int,
                    failed = failed - (OLD.state = 'failed')::int
                WHERE phone = OLD.phone;
                RETURN NULL;
            END $$;
            CREATE TRIGGER conversations_on_delivery_removed AFTER DELETE ON deliveries
                FOR EACH ROW EXECUTE FUNCTION conversations_on_delivery_removed();
            CREATE FUNCTION conversations_on_message_removed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM conversations WHERE phone = OLD.phone AND total = 0;
                UPDATE conversations c
                SET (last_message_id, last_sequence, last_created_at) = (SELECT m.id, m.sequence, m.created_at
                        FROM messages m WHERE m.phone = OLD.phone ORDER BY m.sequence DESC LIMIT 1)
                WHERE c.phone = OLD.phone AND c.last_message_id = OLD.id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER conversations_on_message_removed AFTER DELETE ON messages
                FOR EACH ROW EXECUTE FUNCTION conversations_on_message_removed();
            """, """
            -- The configuration the operator changed while the service ran (PUT /chat/config), by key: it wins over
            -- .env at every start of every instance until it is changed again.
            CREATE TABLE settings (
                key   TEXT COLLATE "C" PRIMARY KEY,
                value TEXT NOT NULL
            );
            """, """
            -- The circuit breaker every instance shares, in one row (see PostgresCircuit). Instants are epoch
            -- milliseconds; version counts the changes, so an instance keeps the newer of two copies it has seen.
            CREATE TABLE circuit (
                id                   INTEGER PRIMARY KEY CHECK (id = 1),
                state                TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
                consecutive_failures INTEGER NOT NULL,
                opened_at            BIGINT,
                retry_at             BIGINT,
                paused_reason        TEXT,
                probe_holder         TEXT,
                probe_until          BIGINT,
                version              BIGINT NOT NULL
            );
            INSERT INTO circuit (id, state, consecutive_failures, version) VALUES (1, 'closed', 0, 0);
            """);

    static final int CURRENT_VERSION = MIGRATIONS.size();

    private Schema() {
    }

    /**
     * Brings the database up to {@link #CURRENT_VERSION} in one transaction under the migration lock, so a crash
     * leaves it as it was and instances starting together migrate once.
     *
     * @return how many migrations this call ran: 0 when the database was current (or another instance made it so)
     * @throws NewerSchemaException when the database was migrated by a newer build
     */
    static int migrate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            statement.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                    + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
            int version = version(statement);
            if (version > CURRENT_VERSION) {
                throw new NewerSchemaException(version);
            }
            for (int next = version + 1; next <= CURRENT_VERSION; next++) {
                statement.execute(MIGRATIONS.get(next - 1));
                statement.execute("INSERT INTO schema_version (version) VALUES (" + next + ")");
            }
            return CURRENT_VERSION - version;
        }
    }

    private static int version(Statement statement) throws SQLException {
        try (ResultSet row = statement.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            row.next();
            return row.getInt(1);
        }
    }

    /** The database's schema is newer than this build knows; running on it could damage data. */
    static final class NewerSchemaException extends SQLException {
        NewerSchemaException(int found) {
            super("its schema version " + found + " is newer than this build's " + CURRENT_VERSION
                    + "; run a newer build");
        }
    }
}
