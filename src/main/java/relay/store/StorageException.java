package relay.store;

import java.util.Objects;

/**
 * The store could not serve a call for a known reason ({@link #fault()}): the disk is full, chat.db is locked, a
 * file is gone. Nothing of the failed write was kept. The message names the part of the store and the cause's code,
 * never a path, so it can be shown as it is.
 */
public final class StorageException extends RuntimeException {
    private final StorageFault fault;

    /** @param part what failed, as the operator knows it: {@code chat.db} or {@code attachments} */
    public StorageException(StorageFault fault, String part, Throwable cause) {
        super(part + ": " + fault.wireName() + " (" + StorageFault.codeOf(cause) + ")", cause);
        this.fault = Objects.requireNonNull(fault);
    }

    public StorageFault fault() {
        return fault;
    }
}
