package relay.store.sqlite;

import java.sql.SQLException;

/** Work done on one connection: a read on a pooled connection, or a write inside the writer's savepoint. */
@FunctionalInterface
interface SqlTask<T> {
    T apply(SqlSession session) throws SQLException;
}
