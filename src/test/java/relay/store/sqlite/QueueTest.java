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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;
import relay.store.Claim;
import relay.store.StoreFixture;

/**
 * The queue on SQLite: a claim walks the due index and asks the line index whether an earlier delivery blocks each
 * candidate, and a database from before the queue's columns is brought to them with nothing lost and its order kept.
 * What every backend promises is in DeliveryQueueContract.
 */
class QueueTest {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";
    private static final Duration LEASE = Duration.ofSeconds(30);

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
    void shouldFindDueHeadsFromTheConversationsInLineWithoutReadingTheirBacklogs() throws SQLException {
        for (Ordering ordering : List.of(Ordering.CONVERSATION, Ordering.STRICT)) {
            String plan = queryPlan(Queue.dueHeads(ordering, false));

            assertTrue(plan.contains("INDEX conversations_in_line"), plan);
            assertTrue(plan.contains("INDEX deliveries_in_line (phone=? AND state=?)"), plan);
            assertTrue(plan.contains("INDEX deliveries_in_line (phone=? AND state=? AND position=?)"), plan);
            assertFalse(plan.matches("(?s).*SCAN (d|e)\\b.*"), "no deliveries scanned: " + plan);
        }
    }

    @Test
    void shouldFirstLookAtTheEarliestDueRowsAndAskEachWhetherItIsAHead() throws SQLException {
        for (Ordering ordering : List.of(Ordering.CONVERSATION, Ordering.STRICT)) {
            String plan = queryPlan(Queue.firstLook(ordering, false));

            assertTrue(plan.contains("SEARCH d USING INDEX deliveries_due"), plan);
            assertTrue(plan.contains("INDEX deliveries_in_line (phone=? AND state=? AND position<?)"), plan);
            assertFalse(plan.contains("TEMP B-TREE"), "no sort of all due rows: " + plan);
        }
    }

    @Test
    void shouldFindDueDeliveriesWithoutOrderingByWalkingTheDueIndex() throws SQLException {
        String plan = queryPlan(Queue.firstLook(Ordering.NONE, false));

        assertTrue(plan.contains("SEARCH d USING INDEX deliveries_due"), plan);
        assertFalse(plan.contains("TEMP B-TREE"), "no sort of all due rows: " + plan);
    }

    @Test
    void shouldFindAPhonesLastPositionBySeekingTheLineIndex() throws SQLException {
        String plan = queryPlan(Queue.LAST_POSITION);

        assertTrue(plan.contains("INDEX deliveries_in_line (phone=? AND state=?)"), plan);
        assertFalse(plan.matches("(?s).*SCAN deliveries\\b.*"), "no table or index scanned: " + plan);
    }

    @Test
    void shouldBringADatabaseFromBeforeTheQueueToItInTheSameOrder() throws Exception {
        Message alice1 = fixture.accept(outbox, ALICE, "a1");
        Message alice2 = fixture.accept(outbox, ALICE, "a2");
        Message bob1 = fixture.accept(outbox, BOB, "b1");
        Claim bob = outbox.claim(fixture.clock.instant(), 10, "old", LEASE, Ordering.NONE).get(2);
        Instant retryAt = fixture.clock.instant().plusSeconds(10);
        outbox.complete(bob, fixture.failedAttempt(bob1.id(), 1, 503), DeliveryState.RETRYING, retryAt, "HTTP 503");
        outbox.close();
        // As the engine before the queue left it: alice1 and alice2 cut off mid-attempt, bob1 waiting to retry.
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String index : List.of("deliveries_due", "deliveries_in_line", "conversations_in_line")) {
                statement.executeUpdate("DROP INDEX " + index);
            }
            for (String column : List.of("phone", "position", "claimed_by", "claim_token", "lease_until",
                    "skipped_at")) {
                statement.executeUpdate("ALTER TABLE deliveries DROP COLUMN " + column);
            }
            statement.executeUpdate("UPDATE deliveries SET next_attempt_at = NULL WHERE state = 'sending'");
            // Nor had it the later migrations' tables.
            statement.executeUpdate("DROP TABLE settings");
            statement.executeUpdate("PRAGMA user_version = " + (Schema.QUEUE - 1));
        }
        fixture.clock.advance(Duration.ofSeconds(1));

        outbox = SqliteStore.open(dataDir, fixture.clock);

        Instant now = fixture.clock.instant();
        List<Claim> due = outbox.claim(now, 10, "new", LEASE, Ordering.CONVERSATION);
        assertEquals(List.of(alice1.id()), due.stream().map(Claim::messageId).toList(), "due at once, in order");
        assertEquals(alice1.id(), outbox.head(ALICE, Ordering.CONVERSATION).orElseThrow().messageId());
        assertEquals(retryAt, outbox.delivery(bob1.id()).orElseThrow().nextAttemptAt(), "the retry keeps its time");
        assertEquals(3, fixture.accept(outbox, ALICE, "a3").sequence());
        assertTrue(outbox.complete(due.getFirst(), fixture.successfulAttempt(alice1.id(), 1),
                DeliveryState.DELIVERED, null, null));
        assertEquals(List.of(alice2.id()), outbox.claim(now, 10, "new", LEASE, Ordering.CONVERSATION).stream()
                .map(Claim::messageId).toList(), "a3 waits behind a2, which came first");
        assertEquals(List.of(bob1.id()), outbox.claim(retryAt, 10, "new", LEASE, Ordering.CONVERSATION).stream()
                .map(Claim::messageId).toList());
    }

    private String queryPlan(String query) throws SQLException {
        try (Connection connection = connect();
             PreparedStatement explain = connection.prepareStatement("EXPLAIN QUERY PLAN " + query)) {
            for (int i = 1; i <= explain.getParameterMetaData().getParameterCount(); i++) {
                explain.setObject(i, 1);
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
}
