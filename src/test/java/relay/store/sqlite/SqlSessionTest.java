package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlSessionTest {
    @TempDir
    Path dir;

    /** sqlite-jdbc leaves a failed statement unusable; a cached one that failed once would fail forever. */
    @Test
    void shouldRunATransactionVerbAgainAfterItFailed() throws SQLException {
        try (SqlSession session = SqlSession.open(dir.resolve("test.db"))) {
            assertThrows(SQLException.class, () -> session.run("ROLLBACK"), "no transaction is open yet");

            session.run("BEGIN IMMEDIATE");
            session.run("ROLLBACK");
        }
    }

    @Test
    void shouldPrepareEveryStatementAfreshOnceForgotten() throws SQLException {
        try (SqlSession session = SqlSession.open(dir.resolve("test.db"))) {
            session.runOnce("CREATE TABLE t (x TEXT PRIMARY KEY)");
            session.run("BEGIN IMMEDIATE");
            session.prepare("INSERT INTO t VALUES ('a')").execute();
            assertThrows(SQLException.class, () -> session.prepare("INSERT INTO t VALUES ('a')").execute());

            session.forgetPrepared();

            session.prepare("INSERT INTO t VALUES ('b')").execute();
            session.run("COMMIT");
        }
    }
}
