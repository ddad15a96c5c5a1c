package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatabaseUrlTest {
    private static final String PASSWORD = "s3cr3t-Pa55word";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "postgres://relay:s3cr3t-Pa55word@db.example.com:5433/chat | jdbc:postgresql://db.example.com:5433/chat"
                + " | relay | postgres://relay@db.example.com:5433/chat",
        "postgresql://relay:s3cr3t-Pa55word@db.example.com/chat?sslmode=require"
                + " | jdbc:postgresql://db.example.com:5432/chat?sslmode=require | relay"
                + " | postgresql://relay@db.example.com:5432/chat",
        "jdbc:postgresql://10.0.0.5:5432/chat?user=relay&password=s3cr3t-Pa55word&ssl=true"
                + " | jdbc:postgresql://10.0.0.5:5432/chat?ssl=true | relay"
                + " | jdbc:postgresql://relay@10.0.0.5:5432/chat",
        "POSTGRES://relay:s3cr3t-Pa55word@[::1]:5432/chat | jdbc:postgresql://[::1]:5432/chat | relay"
                + " | postgres://relay@[::1]:5432/chat",
    })
    void shouldTakeTheCredentialsOutOfEveryForm(String value, String jdbcUrl, String user, String masked) {
        DatabaseUrl url = DatabaseUrl.parse(value);

        assertEquals(jdbcUrl, url.jdbcUrl());
        assertEquals(user, url.user());
        assertEquals(PASSWORD, url.password().reveal());
        assertEquals(masked, url.masked());
        assertEquals(masked, url.toString());
    }

    @Test
    void shouldDecodeEscapedCharactersOfTheCredentials() {
        DatabaseUrl url = DatabaseUrl.parse("postgres://re%40lay:p%2Fa%3As+s@localhost/chat");

        assertEquals("re@lay", url.user());
        assertEquals("p/a:s+s", url.password().reveal());
        assertEquals("jdbc:postgresql://localhost:5432/chat", url.jdbcUrl());
    }

    @Test
    void shouldKeepSqliteWhenUnsetAndShowTheUrlMasked() {
        Config sqlite = ConfigLoader.fromValues(Map.of());
        Config postgres = ConfigLoader.fromValues(Map.of("DATABASE_URL",
                "postgres://relay:" + PASSWORD + "@db.example.com:5432/chat"));

        assertEquals(Optional.empty(), sqlite.databaseUrl());
        assertEquals("postgres://relay@db.example.com:5432/chat", postgres.shownValue(Key.DATABASE_URL));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql://relay:s3cr3t-Pa55word@db/chat", "postgres://relay:s3cr3t-Pa55word@db.example.com",
        "postgres://relay:s3cr3t-Pa55word@db.example.com:5432/", "postgres://relay:s3cr3t-Pa55word@/chat",
        "postgres://relay:s3cr3t Pa55word@db/chat", "postgres://relay:s3cr3t-Pa55word@db/chat/extra",
        "postgres://relay:s3cr3t%zzPa55word@db/chat", "s3cr3t-Pa55word"})
    void shouldRefuseWhatIsNotAPostgresUrlInOneLineThatHidesTheValue(String value) {
        ConfigLoader.Result result = ConfigLoader.load(Path.of("missing.env"), Map.of("DATABASE_URL", value));

        List<String> problems = assertInstanceOf(ConfigLoader.Invalid.class, result).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("DATABASE_URL (value hidden): expected postgres://user:password@"),
                problems.getFirst());
        assertFalse(problems.getFirst().contains("Pa55word"), problems.getFirst());
    }

    @Test
    void shouldMaskItsJdbcUrlAndHideItsPasswordInText() {
        DatabaseUrl url = DatabaseUrl.parse("postgres://relay:s3cr3t-Pa55word@db.example.com:5433/chat?sslmode=require");

        assertEquals("pool of postgres://relay@db.example.com:5433/chat failed: auth … refused",
                url.maskIn("pool of jdbc:postgresql://db.example.com:5433/chat?sslmode=require failed: auth "
                        + PASSWORD + " refused"));
    }
}
