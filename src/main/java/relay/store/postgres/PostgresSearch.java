package relay.store.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import relay.domain.Conversation;
import relay.store.MessageSearch;
import relay.store.SearchText;
import relay.store.jdbc.StoredRows;

/**
 * Search on PostgreSQL. Messages are found in {@code search_text} (text and file name folded as a query is folded)
 * through its trigram index ({@code pg_trgm}), which answers "contains" for any piece of three or more characters;
 * a page is read newest first by {@code search_key}. Conversations are found by walking the sidebar's order and
 * checking each row's phone and contact name, stopping as soon as a page is full, as on SQLite.
 */
public final class PostgresSearch implements MessageSearch {
    // An empty folded query or digit string matches nothing rather than everything.
    private static final String CONVERSATION_MATCHES = " WHERE ((? <> '' AND strpos((SELECT k.name_key FROM contacts k"
            + " WHERE k.phone = c.phone), ?) > 0) OR (? <> '' AND strpos(c.phone, ?) > 0))";
    private static final String CONVERSATIONS_NEWEST = "SELECT " + Queries.CONVERSATION_COLUMNS
            + Queries.CONVERSATION_FROM + CONVERSATION_MATCHES + Queries.NEWEST_FIRST;
    private static final String CONVERSATIONS_BEFORE = "SELECT " + Queries.CONVERSATION_COLUMNS
            + Queries.CONVERSATION_FROM + CONVERSATION_MATCHES + " AND" + Queries.BEFORE_POSITION
            + Queries.NEWEST_FIRST;
    private static final String MESSAGES_FROM = "SELECT " + Sql.STATUS_COLUMNS + ", m.search_key" + Sql.STATUS_FROM
            + " WHERE m.search_text LIKE ? ESCAPE '\\'";
    private static final String NEWEST_MATCHES_FIRST = " ORDER BY m.search_key DESC LIMIT ?";
    private static final String MESSAGES_NEWEST = MESSAGES_FROM + NEWEST_MATCHES_FIRST;
    private static final String MESSAGES_BEFORE = MESSAGES_FROM + " AND m.search_key < ?" + NEWEST_MATCHES_FIRST;

    private final PostgresStore store;

    public PostgresSearch(PostgresStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public List<Conversation> conversations(SearchText query, int limit, Conversation.Position before) {
        Objects.requireNonNull(query, "query");
        PostgresStore.requirePositive(limit);
        String name = query.folded();
        String digits = query.digits();
        return store.transaction(connection -> before == null
                ? Sql.list(connection, CONVERSATIONS_NEWEST, Queries::conversation, name, name, digits, digits, limit)
                : Sql.list(connection, CONVERSATIONS_BEFORE, Queries::conversation, name, name, digits, digits,
                        before.lastCreatedAt(), before.lastMessageId(), limit));
    }

    @Override
    public List<Hit> messages(SearchText query, int limit, Long before) {
        Objects.requireNonNull(query, "query");
        PostgresStore.requirePositive(limit);
        if (!query.searchesText()) {
            return List.of();
        }
        String pattern = "%" + likeLiteral(query.folded()) + "%";
        return store.transaction(connection -> before == null
                ? Sql.list(connection, MESSAGES_NEWEST, PostgresSearch::hit, pattern, limit)
                : Sql.list(connection, MESSAGES_BEFORE, PostgresSearch::hit, pattern, before, limit));
    }

    /** The query as LIKE reads it literally: its own %, _ and \ escaped, so nothing in it is a wildcard. */
    static String likeLiteral(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private static Hit hit(ResultSet row) throws SQLException {
        return new Hit(StoredRows.messageStatus(row).message(), row.getLong(Sql.STATUS_COLUMN_COUNT + 1));
    }
}
