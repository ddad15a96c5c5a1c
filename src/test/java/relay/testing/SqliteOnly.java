package relay.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test that by its nature runs on SQLite only (it reaches chat.db, SQLite's fault seams or DATA_DIR's files), left
 * out of the run of the API tests on PostgreSQL ({@link TestBackend}); the reason says why.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(SqliteOnly.TAG)
public @interface SqliteOnly {
    String TAG = "sqlite-only";

    /** Why the test cannot run on PostgreSQL. */
    String value();
}
