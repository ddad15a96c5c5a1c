package relay.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import org.sqlite.SQLiteErrorCode;

/**
 * Why the store could not do what it was asked, in the few kinds an operator acts on differently. Told apart by
 * SQLite's result code or the operating system's reason, never by guessing from a stack trace.
 */
public enum StorageFault {
    /** No space left (SQLITE_FULL, ENOSPC, a quota): nothing can be stored until space is freed. */
    FULL("full"),
    /** The data folder or chat.db refuses writes (SQLITE_READONLY, SQLITE_PERM, a read-only mount, permissions). */
    UNWRITABLE("unwritable"),
    /** Another connection holds chat.db's write lock past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED). */
    BUSY("busy"),
    /** Reading or writing failed (SQLITE_IOERR, SQLITE_CANTOPEN, a file or folder that is gone). */
    UNREACHABLE("unreachable"),
    /** chat.db's content is damaged (SQLITE_CORRUPT, SQLITE_NOTADB). */
    CORRUPT("corrupt");

    private final String wireName;

    StorageFault(String wireName) {
        this.wireName = wireName;
    }

    /** How {@code /healthz} names it. */
    public String wireName() {
        return wireName;
    }

    /** The fault behind a failed SQLite call, by its primary result code; empty for a mistake in our SQL. */
    static Optional<StorageFault> of(SQLException e) {
        int primary = e.getErrorCode() & 0xFF;
        if (primary == SQLiteErrorCode.SQLITE_FULL.code) {
            return Optional.of(FULL);
        }
        if (primary == SQLiteErrorCode.SQLITE_READONLY.code || primary == SQLiteErrorCode.SQLITE_PERM.code) {
            return Optional.of(UNWRITABLE);
        }
        if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code
                || primary == SQLiteErrorCode.SQLITE_PROTOCOL.code) {
            return Optional.of(BUSY);
        }
        if (primary == SQLiteErrorCode.SQLITE_IOERR.code || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code) {
            return Optional.of(UNREACHABLE);
        }
        if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
            return Optional.of(CORRUPT);
        }
        return Optional.empty();
    }

    /** The fault behind a failed file operation, by the operating system's reason (never the path). */
    static StorageFault of(IOException e) {
        String reason = (e instanceof FileSystemException f ? f.getReason() : e.getMessage());
        String lower = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left") || lower.contains("quota exceeded")) {
            return FULL;
        }
        if (e instanceof AccessDeniedException || lower.contains("read-only file system")
                || lower.contains("permission denied")) {
            return UNWRITABLE;
        }
        return UNREACHABLE;
    }

    /** A name for the cause fit for logs: the SQLite code or the exception's type, never a message with a path. */
    static String codeOf(Throwable cause) {
        if (cause instanceof SQLException e) {
            SQLiteErrorCode code = SQLiteErrorCode.getErrorCode(e.getErrorCode());
            return code == SQLiteErrorCode.UNKNOWN_ERROR ? "SQLite error " + e.getErrorCode() : code.name();
        }
        String reason = cause instanceof FileSystemException f ? f.getReason() : cause.getMessage();
        // The operating system's reason ("No space left on device") unless it could carry a path.
        return cause instanceof IOException && reason != null && !reason.contains("/") ? reason
                : cause.getClass().getSimpleName();
    }
}
