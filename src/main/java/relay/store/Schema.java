package relay.store;

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
            """);

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
        int version = version(session);
        if (version > CURRENT_VERSION) {
            throw new NewerSchemaException(version);
        }
        for (int next = version + 1; next <= CURRENT_VERSION; next++) {
            session.runOnce("BEGIN IMMEDIATE");
            try {
                for (String statement : MIGRATIONS.get(next - 1).split(";")) {
                    if (!statement.isBlank()) {
                        session.runOnce(statement);
                    }
                }
                session.runOnce("PRAGMA user_version = " + next);
                session.runOnce("COMMIT");
            } catch (SQLException | RuntimeException e) {
                session.runOnce("ROLLBACK");
                throw e;
            }
        }
        return CURRENT_VERSION - version;
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
