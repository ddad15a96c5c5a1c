package relay.store.sqlite;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The database layout as numbered migrations: migration {@code n} takes {@code PRAGMA user_version} from
 * {@code n - 1} to {@code n}. Append new migrations; never edit one that has shipped.
 *
 * <p>Instants are stored as epoch milliseconds, so they sort and compare as plain integers.
 *
 * <p>Migration 2 is for housekeeping: indexes to find unused uploads and old messages without scanning,
 * {@code retired_sequences} (the highest sequence of each phone's deleted messages, so numbers are never reused) and
 * {@code housekeeping_totals} (what was deleted, for /metrics).
 *
 * <p>Message search needs SQLite 3.45 or newer with FTS5 (its trigram tokenizer, accent folding and contentless
 * deletes), as the driver's own SQLite is: without them the migration, and so the start, fails.
 *
 * <p>Migration {@value #QUEUE} makes the deliveries the queue: each row holds what the engine needs to claim it (see
 * {@link Queue}), so nothing about what is due lives anywhere else; migration 7 indexes the conversations with something
 * in line, where the engine looks for heads.
 *
 * <p>Migration 8 keeps the configuration the operator changes while the service runs ({@link SqliteSettings}).
 */
final class Schema {
    private static final List<String> MIGRATIONS = List.of("""
            CREATE TABLE attachments (
                id         TEXT PRIMARY KEY,
                sha256     TEXT NOT NULL,
                kind       TEXT NOT NULL,
                filename   TEXT NOT NULL,
                mime_type  TEXT NOT NULL,
                size       INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX attachments_by_sha256 ON attachments (sha256);
            CREATE TABLE messages (
                id            TEXT PRIMARY KEY,
                phone         TEXT NOT NULL,
                sequence      INTEGER NOT NULL,
                text          TEXT,
                attachment_id TEXT REFERENCES attachments (id),
                created_at    INTEGER NOT NULL,
                UNIQUE (phone, sequence)
            );
            CREATE INDEX messages_by_age ON messages (created_at, id);
            CREATE TABLE deliveries (
                message_id      TEXT PRIMARY KEY REFERENCES messages (id),
                state           TEXT NOT NULL,
                attempts        INTEGER NOT NULL,
                next_attempt_at INTEGER,
                last_error      TEXT,
                updated_at      INTEGER NOT NULL
            );
            CREATE INDEX deliveries_by_state ON deliveries (state);
            CREATE TABLE attempts (
                id               INTEGER PRIMARY KEY,
                message_id       TEXT NOT NULL REFERENCES messages (id),
                number           INTEGER NOT NULL,
                started_at       INTEGER NOT NULL,
                duration_ms      INTEGER NOT NULL,
                status_code      INTEGER,
                error            TEXT,
                response_snippet TEXT,
                succeeded        INTEGER NOT NULL
            );
            CREATE INDEX attempts_by_message ON attempts (message_id, id);
            CREATE INDEX attempts_by_outcome ON attempts (succeeded, started_at);
            """, """
            CREATE TABLE sessions (
                id_hash    TEXT PRIMARY KEY,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX sessions_by_age ON sessions (created_at);
            """, """
            CREATE INDEX messages_by_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
            CREATE INDEX attachments_by_age ON attachments (created_at);
            CREATE TABLE retired_sequences (
                phone         TEXT PRIMARY KEY,
                last_sequence INTEGER NOT NULL
            );
            CREATE TABLE housekeeping_totals (
                kind    TEXT PRIMARY KEY,
                deleted INTEGER NOT NULL
            );
            """, """
            -- The sidebar's rows, one per phone, kept by triggers in the same transaction as every write to the
            -- deliveries (whoever makes it), so a page of the sidebar is read from an index instead of aggregating
            -- every message. A message and its delivery come and go together: the row counts deliveries; a
            -- message's removal only moves the row to the message before it, or drops the emptied row.
            CREATE TABLE conversations (
                phone           TEXT PRIMARY KEY,
                last_message_id TEXT NOT NULL,
                last_sequence   INTEGER NOT NULL,
                last_created_at INTEGER NOT NULL,
                total           INTEGER NOT NULL,
                queued          INTEGER NOT NULL,
                sending         INTEGER NOT NULL,
                retrying        INTEGER NOT NULL,
                held            INTEGER NOT NULL,
                delivered       INTEGER NOT NULL,
                failed          INTEGER NOT NULL,
                revision        INTEGER NOT NULL
            );
            CREATE INDEX conversations_by_activity ON conversations (last_created_at, last_message_id);
            INSERT INTO conversations
            SELECT per_phone.phone, m.id, m.sequence, m.created_at, per_phone.total, per_phone.queued,
                   per_phone.sending, per_phone.retrying, per_phone.held, per_phone.delivered, per_phone.failed, 1
            FROM (SELECT m.phone, MAX(m.sequence) AS last_sequence, COUNT(*) AS total,
                         COALESCE(SUM(d.state = 'queued'), 0) AS queued,
                         COALESCE(SUM(d.state = 'sending'), 0) AS sending,
                         COALESCE(SUM(d.state = 'retrying'), 0) AS retrying,
                         COALESCE(SUM(d.state = 'held'), 0) AS held,
                         COALESCE(SUM(d.state = 'delivered'), 0) AS delivered,
                         COALESCE(SUM(d.state = 'failed'), 0) AS failed
                  FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id GROUP BY m.phone) per_phone
            JOIN messages m ON m.phone = per_phone.phone AND m.sequence = per_phone.last_sequence;
            CREATE TRIGGER conversations_on_new_delivery AFTER INSERT ON deliveries BEGIN
                INSERT INTO conversations
                SELECT phone, id, sequence, created_at, 1, NEW.state = 'queued', NEW.state = 'sending',
                       NEW.state = 'retrying', NEW.state = 'held', NEW.state = 'delivered', NEW.state = 'failed', 1
                FROM messages WHERE id = NEW.message_id
                ON CONFLICT (phone) DO UPDATE SET total = total + 1, revision = revision + 1,
                    queued = queued + excluded.queued, sending = sending + excluded.sending,
                    retrying = retrying + excluded.retrying, held = held + excluded.held,
                    delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
                    last_message_id = iif(excluded.last_sequence > last_sequence, excluded.last_message_id,
                                          last_message_id),
                    last_created_at = iif(excluded.last_sequence > last_sequence, excluded.last_created_at,
                                          last_created_at),
                    last_sequence = max(excluded.last_sequence, last_sequence);
            END;
            CREATE TRIGGER conversations_on_delivery_change AFTER UPDATE OF state ON deliveries
            WHEN OLD.state IS NOT NEW.state BEGIN
                UPDATE conversations SET revision = revision + 1,
                    queued = queued + (NEW.state = 'queued') - (OLD.state = 'queued'),
                    sending = sending + (NEW.state = 'sending') - (OLD.state = 'sending'),
                    retrying = retrying + (NEW.state = 'retrying') - (OLD.state = 'retrying'),
                    held = held + (NEW.state = 'held') - (OLD.state = 'held'),
                    delivered = delivered + (NEW.state = 'delivered') - (OLD.state = 'delivered'),
                    failed = failed + (NEW.state = 'failed') - (OLD.state = 'failed')
                WHERE phone = (SELECT phone FROM messages WHERE id = NEW.message_id);
            END;
            CREATE TRIGGER conversations_on_delivery_removed AFTER DELETE ON deliveries BEGIN
                UPDATE conversations SET total = total - 1, revision = revision + 1,
                    queued = queued - (OLD.state = 'queued'), sending = sending - (OLD.state = 'sending'),
                    retrying = retrying - (OLD.state = 'retrying'), held = held - (OLD.state = 'held'),
                    delivered = delivered - (OLD.state = 'delivered'), failed = failed - (OLD.state = 'failed')
                WHERE phone = (SELECT phone FROM messages WHERE id = OLD.message_id);
            END;
            CREATE TRIGGER conversations_on_message_removed AFTER DELETE ON messages BEGIN
                DELETE FROM conversations WHERE phone = OLD.phone AND total = 0;
                UPDATE conversations
                SET (last_message_id, last_sequence, last_created_at) = (SELECT id, sequence, created_at
                        FROM messages WHERE phone = OLD.phone ORDER BY sequence DESC LIMIT 1)
                WHERE phone = OLD.phone AND last_message_id = OLD.id;
            END;
            """, """
            -- The names the operator gives phones. name_key is the name folded as relay.store.SearchText folds a
            -- search (lower case, no accents), so searching compares like with like.
            CREATE TABLE contacts (
                phone    TEXT PRIMARY KEY,
                name     TEXT NOT NULL,
                name_key TEXT NOT NULL
            );
            -- Message search: a trigram index of every message's text and file name, so any part of a word is found
            -- without reading every message. It is contentless (the text stays in messages alone); its rowid is the
            -- message's key in message_search_keys, an integer that grows in the order messages were stored and is
            -- never reused, so a page of results is read newest first straight from the index. Triggers keep both
            -- in the same transaction as the message's insert or delete, whoever makes it.
            CREATE TABLE message_search_keys (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                message_id TEXT NOT NULL UNIQUE
            );
            CREATE VIRTUAL TABLE message_search USING fts5 (text, filename, content = '', contentless_delete = 1,
                tokenize = 'trigram remove_diacritics 1');
            INSERT INTO message_search_keys (message_id) SELECT id FROM messages ORDER BY created_at, id;
            INSERT INTO message_search (rowid, text, filename)
            SELECT k.id, m.text, a.filename FROM message_search_keys k JOIN messages m ON m.id = k.message_id
            LEFT JOIN attachments a ON a.id = m.attachment_id;
            CREATE TRIGGER message_search_on_new_message AFTER INSERT ON messages BEGIN
                INSERT INTO message_search_keys (message_id) VALUES (NEW.id);
                INSERT INTO message_search (rowid, text, filename)
                VALUES ((SELECT id FROM message_search_keys WHERE message_id = NEW.id), NEW.text,
                        (SELECT filename FROM attachments WHERE id = NEW.attachment_id));
            END;
            CREATE TRIGGER message_search_on_message_removed AFTER DELETE ON messages BEGIN
                DELETE FROM message_search WHERE rowid = (SELECT id FROM message_search_keys WHERE message_id = OLD.id);
                DELETE FROM message_search_keys WHERE message_id = OLD.id;
            END;
            """, """
            -- The queue. next_attempt_at is when a delivery is due: at acceptance for a new one, the retry's time,
            -- and for one being sent the end of its claim's lease (lease_until), after which it is due again. A claim
            -- (claimed_by, claim_token) fences the writes of its attempt. position orders one phone's deliveries:
            -- the next of the phone at acceptance, the phone's last again when a finished one is resent; the phone
            -- is kept here so that "is an earlier one of this phone unfinished?" is answered from an index.
            ALTER TABLE deliveries ADD COLUMN phone TEXT;
            ALTER TABLE deliveries ADD COLUMN position INTEGER;
            ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
            ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
            ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
            ALTER TABLE deliveries ADD COLUMN skipped_at INTEGER;
            UPDATE deliveries SET (phone, position) = (SELECT phone, sequence FROM messages
                                                       WHERE id = deliveries.message_id);
            -- Unfinished deliveries of the engine before this one are due now; a retry keeps its time.
            UPDATE deliveries SET next_attempt_at = updated_at
            WHERE state IN ('queued', 'held', 'sending') OR (state = 'retrying' AND next_attempt_at IS NULL);
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
            WHERE state IN ('queued', 'retrying', 'sending', 'held');
            CREATE INDEX deliveries_in_line ON deliveries (phone, state, position);
            """, """
            -- The conversations with something in line: the engine looks for the heads of those alone.
            CREATE INDEX conversations_in_line ON conversations (phone)
            WHERE queued + sending + retrying + held > 0;
            """, """
            -- The configuration the operator changed while the service ran (PUT /chat/config), by key: it wins over
            -- .env at every start until it is changed again.
            CREATE TABLE settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            """);

    /** The version whose migration made the deliveries the queue. */
    static final int QUEUE = 6;

    static final int CURRENT_VERSION = MIGRATIONS.size();

    private Schema() {
    }

    /**
     * Brings the database up to {@link #CURRENT_VERSION}, each migration in its own transaction together with its
     * version bump, so a crash mid-way leaves a database that the next start migrates from where it stopped.
     *
     * @return how many migrations ran: 0 when the database was already current
     * @throws NewerSchemaException when the file was written by a newer build
     */
    static int migrate(SqlSession session) throws SQLException {
        return migrate(session, CURRENT_VERSION);
    }

    /** Migrates only up to {@code target}: for tests that need a database as an older build left it. */
    static int migrate(SqlSession session, int target) throws SQLException {
        int version = version(session);
        if (version > CURRENT_VERSION) {
            throw new NewerSchemaException(version);
        }
        for (int next = version + 1; next <= target; next++) {
            session.runOnce("BEGIN IMMEDIATE");
            try {
                session.runScript(MIGRATIONS.get(next - 1));
                session.runOnce("PRAGMA user_version = " + next);
                session.runOnce("COMMIT");
            } catch (SQLException | RuntimeException e) {
                session.runOnce("ROLLBACK");
                throw e;
            }
        }
        return Math.max(0, target - version);
    }

    static int version(SqlSession session) throws SQLException {
        try (ResultSet rows = session.prepare("PRAGMA user_version").executeQuery()) {
            return rows.next() ? rows.getInt(1) : 0;
        }
    }

    /** The file's schema is newer than this build knows; running on it could corrupt data. */
    static final class NewerSchemaException extends SQLException {
        NewerSchemaException(int found) {
            super("its schema version " + found + " is newer than this build's " + CURRENT_VERSION
                    + "; run a newer build");
        }
    }
}
