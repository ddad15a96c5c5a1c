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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.store.StoreFixture;

/**
 * The sidebar's rows on SQLite: read by walking an index, kept by the schema's triggers also when messages are
 * deleted, and built for a database from before the table. What every backend promises is in MessageReadsContract.
 */
class ConversationsTest {
    /** The schema version before the one that added the conversations table. */
    private static final int BEFORE_CONVERSATIONS = 3;
    private static final List<String> PHONES = List.of("+5511999990001", "+5511999990002", "+5511999990003",
            "+5511999990004", "+5511999990005");

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private SqliteStore outbox;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
    }

    @AfterEach
    void close() {
        outbox.close();
    }

    @Test
    void shouldFollowMessagesThatAreDeleted() {
        String alice = PHONES.get(0);
        Message oldest = fixture.accept(outbox, alice, "a1");
        Message middle = fixture.accept(outbox, alice, "a2");
        Message newest = fixture.accept(outbox, alice, "a3");
        fixture.settle(outbox, fixture.successfulAttempt(oldest.id(), 1), DeliveryState.DELIVERED, null, null);
        fixture.accept(outbox, PHONES.get(1), "b1");

        delete(oldest.id());
        Conversation afterOldest = outbox.conversationOf(alice).orElseThrow();
        assertEquals(2, afterOldest.total());
        assertEquals(0, afterOldest.summary().get(DeliveryState.DELIVERED));
        assertEquals(newest.id(), afterOldest.last().message().id());

        delete(newest.id());
        Conversation afterNewest = outbox.conversationOf(alice).orElseThrow();
        assertEquals(middle.id(), afterNewest.last().message().id(), "the last message before it takes its place");
        assertEquals(List.of(PHONES.get(1), alice), phones(outbox.conversations(10, null)),
                "placed by its new last message, older than b1");

        delete(middle.id());
        assertTrue(outbox.conversationOf(alice).isEmpty());
        assertEquals(List.of(PHONES.get(1)), phones(outbox.conversations(10, null)));
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

    @Test
    void shouldReadAPageByWalkingTheActivityIndexWithoutSortingOrScanning() throws SQLException {
        for (String query : List.of(Queries.CONVERSATIONS_NEWEST, Queries.CONVERSATIONS_BEFORE)) {
            String plan = queryPlan(query);

            assertTrue(plan.contains("USING INDEX conversations_by_activity"), plan);
            assertFalse(plan.contains("TEMP B-TREE"), "no sort of all rows: " + plan);
            assertFalse(plan.matches("(?s).*SCAN (m|d|a)\\b.*"), "no table scanned but the index's: " + plan);
        }
    }

    @Test
    void shouldBuildTheRowsOfMessagesStoredBeforeTheTableExisted() throws Exception {
        Path older = dataDir.resolve("older");
        String alice = PHONES.get(0);
        String bob = PHONES.get(1);
        Instant at = StoreFixture.START;
        try (OlderSchema database = OlderSchema.create(older, BEFORE_CONVERSATIONS)) {
            database.message("msg_a1", alice, 1, "a1", at.plusSeconds(1), DeliveryState.FAILED)
                    .message("msg_a2", alice, 2, "a2", at.plusSeconds(2), DeliveryState.QUEUED)
                    .message("msg_b1", bob, 1, "b1", at.plusSeconds(3), DeliveryState.DELIVERED);
        }

        try (SqliteStore migrated = SqliteStore.open(older, fixture.clock)) {
            List<Conversation> rebuilt = migrated.conversations(10, null);

            assertEquals(List.of(bob, alice), phones(rebuilt));
            assertEquals("msg_a2", rebuilt.get(1).last().message().id());
            assertEquals(2, rebuilt.get(1).total());
            assertEquals(1, rebuilt.get(1).summary().get(DeliveryState.FAILED));
            assertEquals(1, rebuilt.get(1).summary().get(DeliveryState.QUEUED));
            assertEquals(1, rebuilt.get(0).summary().get(DeliveryState.DELIVERED));
            assertEquals(3, fixture.accept(migrated, alice, "a3").sequence());
            assertEquals(3, migrated.conversationOf(alice).orElseThrow().total(), "the triggers keep it from then on");
        }
    }

    private String queryPlan(String query) throws SQLException {
        try (Connection connection = connect();
             PreparedStatement explain = connection.prepareStatement("EXPLAIN QUERY PLAN " + query)) {
            for (int i = 1; i <= explain.getParameterMetaData().getParameterCount(); i++) {
                explain.setObject(i, i == 2 ? "msg_x" : 1);
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

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("chat.db"));
    }

    private static List<String> phones(List<Conversation> page) {
        return page.stream().map(Conversation::phone).toList();
    }
}
