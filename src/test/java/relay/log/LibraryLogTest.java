package relay.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.SQLException;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.testing.LogCapture;

/** Libraries' SLF4J calls come out as our own lines: warnings and errors only, redacted, without stack traces. */
class LibraryLogTest {
    private static final String PASSWORD = "pw-5f1d0c";

    @AfterEach
    void noRedaction() {
        LibraryLog.redactWith(UnaryOperator.identity());
    }

    @Test
    void shouldBeTheProviderSlf4jFinds() {
        assertEquals("relay.log.LibraryLog$Forwarding", LoggerFactory.getLogger("x").getClass().getName());
    }

    @Test
    void shouldForwardWarningsAndErrorsRedactedAndDropTheRest() {
        LibraryLog.redactWith(text -> text.replace(PASSWORD, "…"));
        Logger pool = LoggerFactory.getLogger("com.zaxxer.hikari.pool.HikariPool");
        List<JsonNode> lines;
        try (LogCapture log = LogCapture.start()) {
            pool.info("{} - Starting...", "relay-postgres");
            pool.debug("{} - password {}", "relay-postgres", PASSWORD);
            pool.warn("{} - Connection {} marked as broken because of SQLSTATE({})", "relay-postgres", "c1", "08006");
            pool.error("{} - cannot connect", "relay-postgres", new SQLException("password " + PASSWORD + " wrong"));
            lines = log.lines();
        }

        assertEquals(2, lines.size(), lines.toString());
        JsonNode warning = lines.get(0);
        assertEquals("library.warning", warning.path("event").asText());
        assertEquals("WARNING", warning.path("level").asText());
        assertEquals("com.zaxxer.hikari.pool.HikariPool", warning.path("logger").asText());
        assertEquals("⚠️ HikariPool: relay-postgres - Connection c1 marked as broken because of SQLSTATE(08006)",
                warning.path("message").asText());
        JsonNode error = lines.get(1);
        assertEquals("library.error", error.path("event").asText());
        assertEquals("SEVERE", error.path("level").asText());
        assertTrue(error.path("message").asText().contains("cannot connect (java.sql.SQLException: password …"),
                error.toString());
        assertFalse(error.has("error"), "the throwable is in the redacted message, not beside it");
        assertFalse(lines.toString().contains(PASSWORD));
    }
}
