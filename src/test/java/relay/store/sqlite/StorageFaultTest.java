package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import relay.store.StorageException;
import relay.store.StorageFault;

class StorageFaultTest {
    @Test
    void shouldClassifySqliteFailuresByTheirResultCode() {
        assertEquals(Optional.of(StorageFault.FULL), of(SQLiteErrorCode.SQLITE_FULL));
        assertEquals(Optional.of(StorageFault.BUSY), of(SQLiteErrorCode.SQLITE_BUSY));
        assertEquals(Optional.of(StorageFault.BUSY), of(SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT));
        assertEquals(Optional.of(StorageFault.BUSY), of(SQLiteErrorCode.SQLITE_LOCKED));
        assertEquals(Optional.of(StorageFault.UNWRITABLE), of(SQLiteErrorCode.SQLITE_READONLY));
        assertEquals(Optional.of(StorageFault.UNWRITABLE), of(SQLiteErrorCode.SQLITE_READONLY_DBMOVED));
        assertEquals(Optional.of(StorageFault.UNWRITABLE), of(SQLiteErrorCode.SQLITE_PERM));
        assertEquals(Optional.of(StorageFault.UNREACHABLE), of(SQLiteErrorCode.SQLITE_IOERR));
        assertEquals(Optional.of(StorageFault.UNREACHABLE), of(SQLiteErrorCode.SQLITE_IOERR_WRITE));
        assertEquals(Optional.of(StorageFault.UNREACHABLE), of(SQLiteErrorCode.SQLITE_IOERR_FSYNC));
        assertEquals(Optional.of(StorageFault.UNREACHABLE), of(SQLiteErrorCode.SQLITE_CANTOPEN));
        assertEquals(Optional.of(StorageFault.CORRUPT), of(SQLiteErrorCode.SQLITE_CORRUPT));
        assertEquals(Optional.of(StorageFault.CORRUPT), of(SQLiteErrorCode.SQLITE_NOTADB));
    }

    @Test
    void shouldLeaveMistakesInOurSqlUnclassified() {
        assertEquals(Optional.empty(), of(SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY));
        assertEquals(Optional.empty(), of(SQLiteErrorCode.SQLITE_ERROR));
        assertEquals(Optional.empty(), of(SQLiteErrorCode.SQLITE_MISUSE));
    }

    @Test
    void shouldClassifyFileFailuresByTheOperatingSystemsReason() {
        assertEquals(StorageFault.FULL, Faults.of(new IOException("No space left on device")));
        assertEquals(StorageFault.FULL, Faults.of(
                new FileSystemException("/data/attachments/tmp/upload-1.part", null, "No space left on device")));
        assertEquals(StorageFault.FULL, Faults.of(new IOException("Disk quota exceeded")));
        assertEquals(StorageFault.UNWRITABLE, Faults.of(new AccessDeniedException("/data/attachments")));
        assertEquals(StorageFault.UNWRITABLE, Faults.of(
                new FileSystemException("/data/chat.db", null, "Read-only file system")));
        assertEquals(StorageFault.UNREACHABLE, Faults.of(new NoSuchFileException("/data/attachments/tmp")));
        assertEquals(StorageFault.UNREACHABLE, Faults.of(new IOException("Input/output error")));
    }

    @Test
    void shouldNameTheCauseWithoutItsPath() {
        StorageException full = Faults.exception(StorageFault.FULL, "attachments",
                new FileSystemException("/data/attachments/tmp/upload-1.part", null, "No space left on device"));
        StorageException gone = Faults.exception(StorageFault.UNREACHABLE, "attachments",
                new NoSuchFileException("/data/attachments/tmp/upload-1.part"));
        StorageException locked = Faults.exception(StorageFault.BUSY, "chat.db",
                new SQLiteException("[SQLITE_BUSY] The database file is locked (database is locked)",
                        SQLiteErrorCode.SQLITE_BUSY));

        assertEquals("attachments: full (No space left on device)", full.getMessage());
        assertEquals("attachments: unreachable (NoSuchFileException)", gone.getMessage());
        assertEquals("chat.db: busy (SQLITE_BUSY)", locked.getMessage());
        assertFalse(gone.getMessage().contains("/data"));
    }

    private static Optional<StorageFault> of(SQLiteErrorCode code) {
        return Faults.of(new SQLiteException("[" + code.name() + "] " + code.message, code));
    }
}
