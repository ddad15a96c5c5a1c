package relay.store.sqlite;

import java.sql.ResultSet;

/**
 * Ways to make chat.db fail as a full disk does without filling one, for tests that cannot mount a small file
 * system. SQLite refuses a write that needs a page past {@code max_page_count} with SQLITE_FULL, the code a full disk
 * gives; the limit is set on the writer's own connection.
 */
public final class StoreSeams {
    private StoreSeams() {
    }

    /** Lets chat.db grow by at most {@code pages} more pages. */
    public static void limitPages(SqliteStore outbox, long pages) {
        outbox.write(session -> {
            try (ResultSet count = session.prepare("PRAGMA page_count").executeQuery()) {
                count.next();
                session.runOnce("PRAGMA max_page_count = " + (count.getLong(1) + pages));
            }
            return null;
        });
    }

    public static void liftPageLimit(SqliteStore outbox) {
        limitPages(outbox, Integer.MAX_VALUE);
    }
}
