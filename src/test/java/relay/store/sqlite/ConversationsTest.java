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
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageStatus;
import relay.store.StoreFixture;
import relay.store.sqlite.Queries;
import relay.store.sqlite.Schema;
import relay.testing.Seed;

/** The sidebar's rows: paged from an index, and kept in step with every write by the schema's triggers. */
class ConversationsTest {
    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

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
    void shouldPageNewestFirstFromACursorThatStaysValidWhenTheListChanges() {
        for (String phone : PHONES) {
            fixture.accept(outbox, phone, "first to " + phone);
        }

        List<Conversation> first = outbox.conversations(2, null);
        List<Conversation> second = outbox.conversations(2, first.getLast().position());
        List<Conversation> third = outbox.conversations(2, second.getLast().position());

        assertEquals(List.of(PHONES.get(4), PHONES.get(3)), phones(first));
        assertEquals(List.of(PHONES.get(2), PHONES.get(1)), phones(second));
        assertEquals(List.of(PHONES.get(0)), phones(third));

        fixture.accept(outbox, PHONES.get(1), "news for the second page");

        assertEquals(List.of(PHONES.get(2), PHONES.get(0)), phones(outbox.conversations(2, first.getLast().position())),
                "a conversation that moved to the top is not met again further down");
        assertEquals(List.of(PHONES.get(1), PHONES.get(4)), phones(outbox.conversations(2, null)));
    }

    @Test
    void shouldKeepEachRowInStepWithEveryKindOfDeliveryChange() {
        RandomGenerator random = seed.random();
        List<String> phones = PHONES.subList(0, 3);
        List<Message> messages = new ArrayList<>();
        Map<String, Long> revisions = new HashMap<>();
        for (int step = 0; step < 300; step++) {
            String change = randomChange(random, phones, messages);
            for (String phone : phones) {
                Optional<Conversation> row = outbox.conversationOf(phone);
                List<MessageStatus> thread = outbox.conversation(phone, 200, null);
                assertEquals(thread.isEmpty(), row.isEmpty(), "after " + change);
                if (thread.isEmpty()) {
                    continue;
                }
                Conversation expected = new Conversation(phone, thread.getLast(), countByState(thread), thread.size(),
                        row.get().revision());
                assertEquals(expected, row.get(), "after " + change);
                assertTrue(row.get().revision() >= revisions.getOrDefault(phone, 0L), "after " + change);
                revisions.put(phone, row.get().revision());
            }
        }
    }

    /** One write of the kinds the engine makes, on a random message; returns what it did, for failure messages. */
    private String randomChange(RandomGenerator random, List<String> phones, List<Message> messages) {
        if (messages.isEmpty() || random.nextInt(4) == 0) {
            String phone = phones.get(random.nextInt(phones.size()));
            messages.add(random.nextBoolean() ? fixture.accept(outbox, phone, "hi")
                    : outbox.accept(fixture.newMessage(phone, "held", null), DeliveryState.HELD));
            return "accept to " + phone;
        }
        String id = messages.get(random.nextInt(messages.size())).id();
        switch (random.nextInt(7)) {
            case 0 -> outbox.markSending(id);
            case 1 -> outbox.recordAttempt(fixture.failedAttempt(id, 1, 503), DeliveryState.RETRYING,
                    fixture.clock.instant().plusSeconds(5), "HTTP 503");
            case 2 -> outbox.recordAttempt(fixture.successfulAttempt(id, 1), DeliveryState.DELIVERED, null, null);
            case 3 -> outbox.recordAttempt(fixture.failedAttempt(id, 2, 400), DeliveryState.FAILED, null, "HTTP 400");
            case 4 -> outbox.markHeld(List.of(id));
            case 5 -> outbox.markQueued(List.of(id));
            default -> {
                if (random.nextBoolean()) {
                    outbox.requeue(id, true);
                } else {
                    outbox.requeueAllFailed();
                }
            }
        }
        return "a change of " + id;
    }

    @Test
    void shouldFollowMessagesThatAreDeleted() {
        String alice = PHONES.get(0);
        Message oldest = fixture.accept(outbox, alice, "a1");
        Message middle = fixture.accept(outbox, alice, "a2");
        Message newest = fixture.accept(outbox, alice, "a3");
        outbox.recordAttempt(fixture.successfulAttempt(oldest.id(), 1), DeliveryState.DELIVERED, null, null);
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
        Message alice1 = fixture.accept(outbox, PHONES.get(0), "a1");
        Message alice2 = fixture.accept(outbox, PHONES.get(0), "a2");
        fixture.accept(outbox, PHONES.get(1), "b1");
        outbox.recordAttempt(fixture.failedAttempt(alice1.id(), 1, 400), DeliveryState.FAILED, null, "HTTP 400");
        List<Conversation> before = outbox.conversations(10, null);
        outbox.close();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            // The layout before the sidebar's table: without it and the triggers that keep it.
            try (ResultSet triggers = statement.executeQuery("SELECT name FROM sqlite_master WHERE type = 'trigger'")) {
                List<String> names = new ArrayList<>();
                while (triggers.next()) {
                    names.add(triggers.getString(1));
                }
                for (String name : names) {
                    statement.executeUpdate("DROP TRIGGER " + name);
                }
            }
            statement.executeUpdate("DROP TABLE conversations");
            statement.executeUpdate("PRAGMA user_version = " + (Schema.CURRENT_VERSION - 1));
        }

        outbox = SqliteStore.open(dataDir, fixture.clock);

        List<Conversation> rebuilt = outbox.conversations(10, null);
        assertEquals(phones(before), phones(rebuilt));
        assertEquals(alice2.id(), rebuilt.get(1).last().message().id());
        assertEquals(before.stream().map(Conversation::summary).toList(),
                rebuilt.stream().map(Conversation::summary).toList());
        assertEquals(3, fixture.accept(outbox, PHONES.get(0), "a3").sequence());
        assertEquals(3, outbox.conversationOf(PHONES.get(0)).orElseThrow().total(), "the triggers are back too");
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

    private static Map<DeliveryState, Long> countByState(List<MessageStatus> thread) {
        Map<DeliveryState, Long> counts = new EnumMap<>(DeliveryState.class);
        for (DeliveryState state : DeliveryState.values()) {
            counts.put(state, 0L);
        }
        counts.putAll(thread.stream().collect(Collectors.groupingBy(s -> s.delivery().state(), Collectors.counting())));
        return counts;
    }

    private static List<String> phones(List<Conversation> page) {
        return page.stream().map(Conversation::phone).toList();
    }
}
