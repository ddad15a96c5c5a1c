package relay.store.postgres;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import relay.store.StorageException;
import relay.store.StorageFault;

/**
 * Which {@link StorageFault} a failed PostgreSQL call is, by its SQLSTATE (never by its message, which may name hosts
 * or values). Codes of our own mistakes (a syntax error, a broken constraint) are no storage fault: they stay
 * errors.
 */
final class Faults {
    /** How the operator knows this part of the store, in messages and logs. */
    static final String PART = "PostgreSQL";

    private Faults() {
    }

    /** The fault behind a failed call, by the SQLSTATE of the exception or of what caused it; empty for our bugs. */
    static Optional<StorageFault> of(SQLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                Optional<StorageFault> fault = ofState(sql.getSQLState());
                if (fault.isPresent()) {
                    return fault;
                }
            }
        }
        // The pool gave up waiting for a connection: the database did not let one be made in time.
        return e instanceof SQLTransientConnectionException ? Optional.of(StorageFault.UNREACHABLE) : Optional.empty();
    }

    static Optional<StorageFault> ofState(String state) {
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || state.startsWith("58")) {
            // connection exceptions; the server shutting down or starting up; a system (I/O) error
            return Optional.of(StorageFault.UNREACHABLE);
        }
        return switch (state) {
            case "53100" -> Optional.of(StorageFault.FULL); // disk_full
            // a read-only transaction (a standby), no privilege
            case "25006", "42501" -> Optional.of(StorageFault.UNWRITABLE);
            case "53000", "53200", "53300", "53400", "55P03", "57014", "40001", "40P01" ->
                // out of resources or connections, a lock not granted, a statement timeout, a conflict retried enough
                    Optional.of(StorageFault.BUSY);
            case "XX001", "XX002" -> Optional.of(StorageFault.CORRUPT); // data_corrupted, index_corrupted
            default -> Optional.empty();
        };
    }

    /** Whether running the transaction again may succeed: a serialization failure or a deadlock PostgreSQL broke. */
    static boolean isRetryable(SQLException e) {
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    /** The cause as a code fit for logs and answers: its SQLSTATE, never its message. */
    static String codeOf(SQLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return "SQLSTATE " + sql.getSQLState();
            }
        }
        return e.getClass().getSimpleName();
    }

    static StorageException exception(StorageFault fault, SQLException cause) {
        return new StorageException(fault, PART, codeOf(cause), cause);
    }
}
