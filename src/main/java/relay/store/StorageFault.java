package relay.store;

/**
 * Why the store could not do what it was asked, in the few kinds an operator acts on differently. Each backend tells
 * them apart by its own result codes and the operating system's reason, never by guessing from a stack trace.
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
}
