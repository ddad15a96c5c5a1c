package relay.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parameter that runs the API tests on PostgreSQL: a database per data folder, kept for a restart. */
class TestBackendTest {
    private static final String PHONE = "+5511999999999";

    private final String before = System.getProperty(TestBackend.PROPERTY);

    @TempDir
    Path dir;

    @AfterEach
    void restoreProperty() {
        if (before == null) {
            System.clearProperty(TestBackend.PROPERTY);
        } else {
            System.setProperty(TestBackend.PROPERTY, before);
        }
    }

    @Test
    void shouldStartTheAppOnADatabaseOfItsOwnAndFindItsDataAgainAfterARestart() throws IOException {
        System.setProperty(TestBackend.PROPERTY, "postgres");
        Path dataDir = dir.resolve("data");
        try (RunningApp app = RunningApp.start(dataDir, Map.of())) {
            app.sendText(PHONE, "kept in PostgreSQL");
        }

        try (RunningApp again = RunningApp.start(dataDir, Map.of())) {
            assertEquals(1, RunningApp.json(again.get("/chat/messages?phone=%2B5511999999999")).path("messages")
                    .size());
            assertEquals(1, again.count("SELECT COUNT(*) FROM messages WHERE text = 'kept in PostgreSQL'"));
        }
        assertFalse(Files.exists(dataDir.resolve("chat.db")), "nothing went to SQLite");
    }

    @Test
    void shouldGiveEachFolderItsOwnDatabaseAndTheSameOneAgain() throws IOException {
        Path first = Files.createDirectory(dir.resolve("first"));
        Path second = Files.createDirectory(dir.resolve("second"));

        Postgres.Database database = TestBackend.POSTGRES.databaseFor(first).orElseThrow();

        assertEquals(database, TestBackend.POSTGRES.databaseFor(dir.resolve("second/../first")).orElseThrow());
        assertNotEquals(database, TestBackend.POSTGRES.databaseFor(second).orElseThrow());
        assertEquals(Optional.empty(), TestBackend.SQLITE.databaseFor(first));
    }

    @Test
    void shouldDropTheDatabaseOfAFolderThatIsGone() throws IOException, SQLException {
        Path gone = Files.createDirectory(dir.resolve("gone"));
        Postgres.Database database = TestBackend.POSTGRES.databaseFor(gone).orElseThrow();
        try (Connection connection = connect(database)) {
            assertTrue(connection.isValid(5));
        }
        Files.delete(gone);

        TestBackend.POSTGRES.databaseFor(dir.resolve("next"));

        SQLException refused = assertThrows(SQLException.class, () -> connect(database).close());
        assertTrue(refused.getMessage().contains("does not exist"), refused.getMessage());
    }

    @Test
    void shouldRefuseABackendItDoesNotKnow() {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestBackend.named("mysql"));

        assertEquals("test.backend=mysql: expected sqlite or postgres", refused.getMessage());
        assertEquals(TestBackend.POSTGRES, TestBackend.named("postgres"));
        assertEquals(TestBackend.SQLITE, TestBackend.named("sqlite"));
    }

    private static Connection connect(Postgres.Database database) throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    }
}
