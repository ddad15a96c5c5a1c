package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import relay.domain.Conversation;
import relay.store.MessageSearch;
import relay.store.SearchText;
import relay.store.jdbc.StoredRows;

/**
 * Search on SQLite. Messages are found through the {@code message_search} full-text index (see {@link Schema}): its
 * trigram tokenizer finds any piece of three or more characters, case and accents aside, and a page is read newest
 * first straight from the index, so it costs its length plus the matches skipped, never a scan of the messages.
 * Conversations are found by walking the sidebar's activity index and checking each row's phone and contact name:
 * a scan of the conversations (one row per phone, not per message) that stops as soon as a page is full.
 */
public final class SqliteSearch implements MessageSearch {
    // Contact names are compared folded (name_key) with the folded query; an empty folded query or digit string
    // matches nothing rather than everything. The name is read by a subquery on the row's own phone, so each row is
    // checked before the joins that complete it, and only the rows shown are completed.
    private static final String CONVERSATION_MATCHES = " WHERE ((?1 <> '' AND instr((SELECT k.name_key FROM contacts k"
            + " WHERE k.phone = c.phone), ?1) > 0) OR (?2 <> '' AND instr(c.phone, ?2) > 0))";
    // The sidebar's order, walked on conversations_by_activity as the sidebar's own pages are.
    private static final String CONVERSATIONS_NEWEST_FIRST =
            " ORDER BY c.last_created_at DESC, c.last_message_id DESC LIMIT ?3";
    static final String CONVERSATIONS_NEWEST = "SELECT " + Queries.CONVERSATION_COLUMNS + Queries.CONVERSATION_FROM
            + CONVERSATION_MATCHES + CONVERSATIONS_NEWEST_FIRST;
    static final String CONVERSATIONS_BEFORE = "SELECT " + Queries.CONVERSATION_COLUMNS + Queries.CONVERSATION_FROM
            + CONVERSATION_MATCHES + " AND (c.last_created_at, c.last_message_id) < (?4, ?5)"
            + CONVERSATIONS_NEWEST_FIRST;
    private static final String MESSAGES_FROM = "SELECT " + Rows.STATUS_COLUMNS + ", s.rowid FROM message_search s"
            + " JOIN message_search_keys k ON k.id = s.rowid"
            + " JOIN messages m ON m.id = k.message_id"
            + " JOIN deliveries d ON d.message_id = m.id"
            + " LEFT JOIN attachments a ON a.id = m.attachment_id"
            + " WHERE message_search MATCH ?";
    private static final String NEWEST_MATCHES_FIRST = " ORDER BY s.rowid DESC LIMIT ?";
    static final String MESSAGES_NEWEST = MESSAGES_FROM + NEWEST_MATCHES_FIRST;
    static final String MESSAGES_BEFORE = MESSAGES_FROM + " AND s.rowid < ?" + NEWEST_MATCHES_FIRST;

    private final SqliteStore store;

    public SqliteSearch(SqliteStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public List<Conversation> conversations(SearchText query, int limit, Conversation.Position before) {
        Objects.requireNonNull(query, "query");
        SqliteStore.requirePositive(limit);
        return store.read(session -> {
            PreparedStatement select = session.prepare(before == null ? CONVERSATIONS_NEWEST : CONVERSATIONS_BEFORE);
            select.setString(1, query.folded());
            select.setString(2, query.digits());
            select.setInt(3, limit);
            if (before != null) {
                select.setLong(4, before.lastCreatedAt().toEpochMilli());
                select.setString(5, before.lastMessageId());
            }
            return Rows.list(select, Queries::conversation);
        });
    }

    @Override
    public List<Hit> messages(SearchText query, int limit, Long before) {
        Objects.requireNonNull(query, "query");
        SqliteStore.requirePositive(limit);
        if (!query.searchesText()) {
            return List.of();
        }
        return store.read(session -> {
            PreparedStatement select = session.prepare(before == null ? MESSAGES_NEWEST : MESSAGES_BEFORE);
            int next = 1;
            select.setString(next++, phrase(query.text()));
            if (before != null) {
                select.setLong(next++, before);
            }
            select.setInt(next, limit);
            return Rows.list(select, SqliteSearch::hit);
        });
    }

    /**
     * The query as one FTS5 phrase: in double quotes, its own double quotes doubled, so nothing in it is read as
     * query syntax. With the trigram tokenizer a phrase matches wherever the text holds it.
     */
    static String phrase(String text) {
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }

    private static Hit hit(ResultSet row) throws SQLException {
        return new Hit(StoredRows.messageStatus(row).message(), row.getLong(Rows.STATUS_COLUMN_COUNT + 1));
    }
}
