package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.stream.Stream;

/**
 * What start-up checks before it serves anything from a DATA_DIR: a store that opens empty over data that was there,
 * or over a damaged file, would look like a working service that lost every conversation.
 */
final class Integrity {
    /** What the operator can do about a chat.db this build will not start on. */
    static final String RECOVERY = "restore chat.db from a backup, or move chat.db and attachments/ aside to start "
            + "empty";

    private Integrity() {
    }

    /**
     * Refuses a missing or empty chat.db while attachments/ holds files: SQLite would start a fresh database over it
     * without a word.
     */
    static void requireDatabaseBesideAttachments(Path database, Path attachments) throws IOException {
        if (Files.isRegularFile(database) && Files.size(database) > 0) {
            return;
        }
        if (holdsFiles(attachments)) {
            throw new IOException(database.getFileName() + " in " + database.getParent() + " is "
                    + (Files.exists(database) ? "empty (0 bytes)" : "missing") + " while attachments/ holds files:"
                    + " starting would show an empty store over data that was there; " + RECOVERY);
        }
    }

    private static boolean holdsFiles(Path attachments) throws IOException {
        if (!Files.isDirectory(attachments)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(attachments)) {
            return entries.anyMatch(Files::isRegularFile);
        }
    }

    /**
     * {@code PRAGMA quick_check}: every page and index entry readable and well-formed, without the cross-checks of
     * {@code integrity_check} that would make a start slow on a large store.
     *
     * @throws IOException naming the file, the first problem found and what to do about it
     */
    static void quickCheck(SqlSession session, Path database) throws SQLException, IOException {
        try (ResultSet rows = session.prepare("PRAGMA quick_check(1)").executeQuery()) {
            String first = rows.next() ? rows.getString(1) : "no answer";
            if (!"ok".equals(first)) {
                throw new IOException(database.getFileName() + " failed its integrity check: " + database + " ("
                        + first.replace('\n', ' ') + "); " + RECOVERY);
            }
        }
    }
}
