package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.store.MessageSearch;
import relay.store.SearchText;
import relay.store.StoreFixture;

/**
 * Search on SQLite beyond what every backend promises (MessageSearchContract): pages read from indexes, the message
 * index kept by triggers also when housekeeping deletes, and built for messages stored before it existed.
 */
class SearchIndexTest {
    /** The schema version before the one that added contacts and the message index. */
    private static final int BEFORE_SEARCH = 4;
    private static final String ALICE = "+5511999990001";
    private static final Duration RETENTION = Duration.ofDays(30);

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private SqliteStore outbox;
    private SqliteSearch search;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
        search = new SqliteSearch(outbox);
    }

    @AfterEach
    void close() {
        outbox.close();
    }

    @Test
    void shouldReadAPageOfMessagesFromTheIndexNewestFirstWithoutSortingOrScanning() throws SQLException {
        for (String query : List.of(SqliteSearch.MESSAGES_NEWEST, SqliteSearch.MESSAGES_BEFORE)) {
            String plan = queryPlan(query);

            assertTrue(plan.contains("VIRTUAL TABLE"), plan);
            assertFalse(plan.contains("TEMP B-TREE"), "no sort of the matches: " + plan);
            assertFalse(plan.matches("(?s).*SCAN (m|d|a|k)\\b.*"), "no table scanned: " + plan);
        }
    }

    @Test
    void shouldWalkTheActivityIndexForConversationsWithoutSorting() throws SQLException {
        for (String query : List.of(SqliteSearch.CONVERSATIONS_NEWEST, SqliteSearch.CONVERSATIONS_BEFORE)) {
            String plan = queryPlan(query);

            assertTrue(plan.contains("USING INDEX conversations_by_activity"), plan);
            assertFalse(plan.contains("TEMP B-TREE"), "no sort of all rows: " + plan);
        }
    }

    @Test
    void shouldForgetWhatHousekeepingDeletesInTheSameWrite() {
        Message old = fixture.accept(outbox, ALICE, "boleto de março");
        fixture.settle(outbox, fixture.successfulAttempt(old.id(), 1), DeliveryState.DELIVERED, null, null);
        fixture.clock.advance(RETENTION.plusDays(1));
        Message recent = fixture.accept(outbox, ALICE, "boleto de abril");
        new Housekeeper(outbox, Duration.ofHours(24), Optional.of(RETENTION), fixture.clock, 500).run();

        assertEquals(List.of(recent.id()), ids(search.messages(SearchText.of("boleto"), 10, null)));
        assertEquals(1L, count("SELECT COUNT(*) FROM message_search_keys"), "no key left behind");
    }

    @Test
    void shouldNeverGiveANewMessageThePositionOfADeletedOne() {
        fixture.accept(outbox, ALICE, "first note");
        Message newest = fixture.accept(outbox, ALICE, "second note");
        long position = search.messages(SearchText.of("note"), 1, null).getFirst().position();
        delete(newest.id());

        fixture.accept(outbox, ALICE, "third note");

        assertTrue(search.messages(SearchText.of("note"), 1, null).getFirst().position() > position);
    }

    @Test
    void shouldIndexMessagesStoredBeforeTheIndexExisted() throws Exception {
        Path older = dataDir.resolve("older");
        Instant at = StoreFixture.START;
        try (OlderSchema database = OlderSchema.create(older, BEFORE_SEARCH)) {
            database.message("msg_1", ALICE, 1, "Reunião às 10h", at.plusSeconds(1), DeliveryState.DELIVERED)
                    .message("msg_2", ALICE, 2, "nada", at.plusSeconds(2), DeliveryState.DELIVERED)
                    .message("msg_3", ALICE, 3, "reuniao adiada", at.plusSeconds(3), DeliveryState.QUEUED);
        }

        try (SqliteStore migrated = SqliteStore.open(older, fixture.clock)) {
            SqliteSearch migratedSearch = new SqliteSearch(migrated);

            assertEquals(List.of("msg_3", "msg_1"), ids(migratedSearch.messages(SearchText.of("reunião"), 10, null)));
            Message next = fixture.accept(migrated, ALICE, "nova reunião");
            assertEquals(next.id(), ids(migratedSearch.messages(SearchText.of("reuniao"), 1, null)).getFirst(),
                    "the triggers keep it from then on, newest first");
        }
    }

    /** As a retention sweep would: the attempts and the delivery first, then the message. */
    private void delete(String messageId) {
        outbox.write(session -> {
            for (String table : List.of("attempts", "deliveries")) {
                PreparedStatement delete = session.prepare("DELETE FROM " + table + " WHERE message_id = ?");
                delete.setString(1, messageId);
                delete.executeUpdate();
            }
            PreparedStatement delete = session.prepare("DELETE FROM messages WHERE id = ?");
            delete.setString(1, messageId);
            return delete.executeUpdate();
        });
    }

    private long count(String sql) {
        return outbox.read(session -> {
            try (ResultSet row = session.prepare(sql).executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        });
    }

    private String queryPlan(String query) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("chat.db"));
             PreparedStatement explain = connection.prepareStatement("EXPLAIN QUERY PLAN " + query)) {
            for (int i = 1; i <= explain.getParameterMetaData().getParameterCount(); i++) {
                explain.setObject(i, i == 1 ? "\"abc\"" : 1);
            }
            List<String> steps = new ArrayList<>();
            try (ResultSet rows = explain.executeQuery()) {
                while (rows.next()) {
                    steps.add(rows.getString("detail"));
                }
            }
            return String.join("\n", steps);
        }
    }

    private static List<String> ids(List<MessageSearch.Hit> page) {
        return page.stream().map(hit -> hit.message().id()).toList();
    }
}
