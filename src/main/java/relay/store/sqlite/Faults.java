package relay.store.sqlite;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import org.sqlite.SQLiteErrorCode;
import relay.store.StorageException;
import relay.store.StorageFault;

/** Which {@link StorageFault} a failure of SQLite or of the disk is: by SQLite's result code or the OS's reason. */
final class Faults {
    private Faults() {
    }

    /** The fault behind a failed SQLite call, by its primary result code; empty for a mistake in our SQL. */
    static Optional<StorageFault> of(SQLException e) {
        int primary = e.getErrorCode() & 0xFF;
        if (primary == SQLiteErrorCode.SQLITE_FULL.code) {
            return Optional.of(StorageFault.FULL);
        }
        if (primary == SQLiteErrorCode.SQLITE_READONLY.code || primary == SQLiteErrorCode.SQLITE_PERM.code) {
            return Optional.of(StorageFault.UNWRITABLE);
        }
        if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code
                || primary == SQLiteErrorCode.SQLITE_PROTOCOL.code) {
            return Optional.of(StorageFault.BUSY);
        }
        if (primary == SQLiteErrorCode.SQLITE_IOERR.code || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code) {
            return Optional.of(StorageFault.UNREACHABLE);
        }
        if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
            return Optional.of(StorageFault.CORRUPT);
        }
        return Optional.empty();
    }

    /** The fault behind a failed file operation, by the operating system's reason (never the path). */
    static StorageFault of(IOException e) {
        String reason = (e instanceof FileSystemException f ? f.getReason() : e.getMessage());
        String lower = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left") || lower.contains("quota exceeded")) {
            return StorageFault.FULL;
        }
        if (e instanceof AccessDeniedException || lower.contains("read-only file system")
                || lower.contains("permission denied")) {
            return StorageFault.UNWRITABLE;
        }
        return StorageFault.UNREACHABLE;
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

    /** @param part what failed, as the operator knows it: {@code chat.db} or {@code attachments} */
    static StorageException exception(StorageFault fault, String part, Throwable cause) {
        return new StorageException(fault, part, codeOf(cause), cause);
    }
}
