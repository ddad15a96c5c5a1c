package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.fault.ConversationRun.FLAKY;
import static relay.fault.ConversationRun.MESSAGES;
import static relay.fault.ConversationRun.PHONES;
import static relay.fault.ConversationRun.assertInOrder;
import static relay.fault.ConversationRun.assertNothingLost;
import static relay.fault.ConversationRun.sendOrder;
import static relay.fault.ConversationRun.settings;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.fault.ConversationRun.Accepted;
import relay.testing.Await;
import relay.testing.ConversationReceiver;
import relay.testing.Seed;

/**
 * The order survives {@code kill -9}: the ordering run, with the service in its own process killed without warning
 * three times while it delivers and started again on the same data folder each time. Each phone's first successful
 * deliveries still arrive in {@code sequence} order, every accepted message arrives, and a message arrives twice only
 * if its attempt was in flight at a kill (the store shows it {@code sending}) — with the same {@code webhook-id} and
 * the same bytes.
 */
class OrderingKillNineTest {
    private static final int KILLS = 3;

    @TempDir
    Path dir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();
    private final Random random = seed.random();

    @Test
    void shouldKeepEachConversationInOrderAcrossThreeKills() throws Exception {
        try (ConversationReceiver receiver = new ConversationReceiver(seed.value(), FLAKY);
             ConversationRun run = new ConversationRun()) {
            Map<String, String> env = new HashMap<>(settings("conversation", receiver));
            // What was being sent at a kill is due again when its lease ends: short, for a short test.
            env.putAll(Map.of("PORT", "0", "DATA_DIR", dir.resolve("data").toString(), "DEMO_RECEIVER", "false",
                    "LEASE_SECONDS", "10"));
            List<String> order = sendOrder(random);
            List<Accepted> accepted = new ArrayList<>();
            Set<String> inFlightAtKills = new HashSet<>();
            for (int kill = 0; kill < KILLS; kill++) {
                int from = kill * MESSAGES / KILLS;
                try (AppProcess app = AppProcess.start(dir, env)) {
                    accepted.addAll(run.send(app.awaitStarted(), order.subList(from, (kill + 1) * MESSAGES / KILLS),
                            from));
                    awaitSomeDelivered(receiver, accepted.size());
                    app.kill();
                    app.awaitExit();
                }
                inFlightAtKills.addAll(sendingInStore());
            }
            JsonNode status;
            try (AppProcess app = AppProcess.start(dir, env)) {
                status = run.awaitSettled(app.awaitStarted(), MESSAGES);
                app.terminate();
                app.awaitExit();
            }
            ConversationRun.report("conversation, " + KILLS + " kills (" + inFlightAtKills.size()
                    + " attempts in flight at the kills)", receiver);

            assertNothingLost(status, receiver, accepted);
            ConversationRun.assertOnlyTheseArrivedTwice(receiver, inFlightAtKills);
            assertInOrder(receiver, accepted);
            assertEquals(1, receiver.maxInFlightPerPhone(), "one request per conversation at a time");
        }
    }

    /**
     * Waits until the receiver acknowledged a number of messages drawn between what it has now and all that are
     * accepted but the last message of each phone, so the kill comes while deliveries are still under way.
     */
    private void awaitSomeDelivered(ConversationReceiver receiver, int accepted) {
        int now = receiver.delivered();
        int last = Math.max(now + 1, accepted - PHONES);
        int target = now + 1 + random.nextInt(last - now);
        Await.until("the receiver acknowledged " + target + " messages", ConversationRun.SETTLE_WITHIN,
                receiver::delivered, delivered -> delivered >= target);
    }

    /** Deliveries the store shows mid-attempt: the only ones the receiver may have got without the store knowing. */
    private Set<String> sendingInStore() throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/chat.db"));
             ResultSet rows = db.createStatement().executeQuery(
                     "SELECT message_id FROM deliveries WHERE state = 'sending'")) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        }
        return ids;
    }
}
