package relay.store;

import java.util.Objects;

/**
 * The store could not serve a call for a known reason ({@link #fault()}): the disk is full, the database is locked, a
 * file is gone. Nothing of the failed write was kept. The message names the part of the store and the cause's code,
 * never a path, so it can be shown as it is.
 */
public final class StorageException extends RuntimeException {
    private final StorageFault fault;

    /**
     * @param part what failed, as the operator knows it: {@code chat.db} or {@code attachments}
     * @param code the cause as the backend names it ({@code SQLITE_BUSY}, {@code No space left on device}), never
     *             anything that could carry a path
     */
    public StorageException(StorageFault fault, String part, String code, Throwable cause) {
        super(part + ": " + fault.wireName() + " (" + code + ")", cause);
        this.fault = Objects.requireNonNull(fault);
    }

    public StorageFault fault() {
        return fault;
    }
}
