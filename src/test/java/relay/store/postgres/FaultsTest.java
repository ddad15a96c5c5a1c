package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.store.StorageFault;

class FaultsTest {
    @ParameterizedTest
    @CsvSource(nullValues = "none", value = {
        "08001, UNREACHABLE", "08006, UNREACHABLE", "57P01, UNREACHABLE", "57P03, UNREACHABLE", "58030, UNREACHABLE",
        "53100, FULL", "25006, UNWRITABLE", "42501, UNWRITABLE", "53300, BUSY", "55P03, BUSY", "57014, BUSY",
        "40P01, BUSY", "XX001, CORRUPT", "XX002, CORRUPT",
        "23505, none", "42601, none", "22001, none"})
    void shouldTellStorageFaultsFromOurOwnMistakesBySqlState(String state, StorageFault fault) {
        assertEquals(Optional.ofNullable(fault), Faults.of(new SQLException("whatever the server says", state)));
    }

    @Test
    void shouldFindTheStateOfWhatCausedAFailureAndCountAPoolThatGaveUpAsUnreachable() {
        SQLException wrapped = new SQLException("pool", null, new SQLException("refused", "08001"));

        assertEquals(Optional.of(StorageFault.UNREACHABLE), Faults.of(wrapped));
        assertEquals(Optional.of(StorageFault.UNREACHABLE),
                Faults.of(new SQLTransientConnectionException("Connection is not available, request timed out")));
        assertEquals("SQLSTATE 08001", Faults.codeOf(wrapped));
    }
}
