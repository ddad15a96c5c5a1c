package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;
import relay.store.Claim;
import relay.store.StoreFixture;
import relay.testing.Await;
import relay.testing.Postgres;
import relay.testing.Seed;

/** What holds when several instances share one database: here, several stores on one database at once. */
class PostgresClusterTest {
    private static final Duration LEASE = Duration.ofMinutes(5);
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(2);

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    private final StoreFixture fixture = new StoreFixture();
    private final Postgres.Database database = Postgres.newDatabase();

    /**
     * Two instances claim from one queue at once, each as fast as it can, with seeded batch sizes, retries and
     * pauses: a phone never has two deliveries in flight, and each phone's messages are delivered in the order they
     * were accepted.
     */
    @Test
    void shouldNeverHaveTwoDeliveriesOfOnePhoneInFlightWhenTwoInstancesClaimAtOnce() throws Exception {
        Random random = seed.random();
        try (PostgresStore first = TestDatabases.open(database, fixture.clock);
             PostgresStore second = TestDatabases.open(database, fixture.clock);
             ExecutorService instances = Executors.newFixedThreadPool(2)) {
            List<String> phones = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                phones.add("+55119999900" + (10 + i));
            }
            Map<String, List<String>> accepted = new HashMap<>();
            for (int i = 0; i < 240; i++) {
                String phone = phones.get(random.nextInt(phones.size()));
                Message message = fixture.accept(i % 2 == 0 ? first : second, phone, "message " + i);
                accepted.computeIfAbsent(phone, p -> new ArrayList<>()).add(message.id());
            }
            Map<String, String> inFlight = new ConcurrentHashMap<>();
            List<String> overlaps = new CopyOnWriteArrayList<>();
            Map<String, List<String>> delivered = new ConcurrentHashMap<>();
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<?>> runs = new ArrayList<>();
            for (PostgresStore instance : List.of(first, second)) {
                long instanceSeed = random.nextLong();
                runs.add(instances.submit(() -> {
                    start.await();
                    work(instance, new Random(instanceSeed), inFlight, overlaps, delivered);
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(RUN_DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }

            assertEquals(List.of(), overlaps, "deliveries of one phone in flight together");
            assertEquals(accepted, delivered, "every message delivered once, each phone in order");
            assertEquals(240L, first.counts().get(DeliveryState.DELIVERED));
        }
    }

    /** One instance's claim loop, until nothing is left: claim a few heads, attempt each, settle it. */
    private void work(PostgresStore store, Random random, Map<String, String> inFlight, List<String> overlaps,
                      Map<String, List<String>> delivered) {
        Instant now = fixture.clock.instant();
        String owner = "instance-" + System.identityHashCode(store);
        long deadline = System.nanoTime() + RUN_DEADLINE.toNanos();
        while (store.counts().get(DeliveryState.DELIVERED) < 240 && System.nanoTime() < deadline) {
            List<Claim> claims = new ArrayList<>(store.claim(now, 1 + random.nextInt(4), owner, LEASE,
                    Ordering.CONVERSATION));
            for (Claim claim : claims) {
                String phone = claim.status().message().phone();
                String other = inFlight.putIfAbsent(phone, claim.messageId());
                if (other != null) {
                    overlaps.add(claim.messageId() + " claimed while " + other + " of " + phone + " was in flight");
                }
            }
            Collections.shuffle(claims, random);
            for (Claim claim : claims) {
                String phone = claim.status().message().phone();
                for (int spin = random.nextInt(20_000); spin > 0; spin--) {
                    Thread.onSpinWait();
                }
                // Noted before the outcome is written: the next of the phone may be claimed as soon as it is.
                inFlight.remove(phone, claim.messageId());
                int attempt = claim.status().delivery().attempts() + 1;
                boolean settled;
                if (random.nextInt(4) == 0) {
                    settled = store.complete(claim, fixture.failedAttempt(claim.messageId(), attempt, 503),
                            DeliveryState.RETRYING, now, "HTTP 503");
                } else {
                    delivered.computeIfAbsent(phone, p -> new CopyOnWriteArrayList<>()).add(claim.messageId());
                    settled = store.complete(claim, fixture.successfulAttempt(claim.messageId(), attempt),
                            DeliveryState.DELIVERED, null, null);
                }
                if (!settled) {
                    overlaps.add("the claim of " + claim.messageId() + " did not hold");
                }
            }
        }
    }

    /** Instances started together migrate the database once: one of them runs the migrations, the others wait. */
    @Test
    void shouldMigrateOnceWhenSeveralInstancesStartAtOnce() throws Exception {
        int instances = 4;
        CyclicBarrier start = new CyclicBarrier(instances);
        List<PostgresStore> stores = new CopyOnWriteArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(instances)) {
            List<Future<PostgresStore>> opening = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                opening.add(threads.submit(() -> {
                    start.await();
                    return TestDatabases.open(database, fixture.clock);
                }));
            }
            for (Future<PostgresStore> open : opening) {
                stores.add(open.get(Await.DEADLINE.toSeconds() * 3, TimeUnit.SECONDS));
            }
        } finally {
            stores.forEach(PostgresStore::close);
        }

        assertEquals(Schema.CURRENT_VERSION, stores.stream().mapToInt(PostgresStore::migrationsApplied).sum());
        assertEquals(1, stores.stream().filter(store -> store.migrationsApplied() > 0).count());
        try (PostgresStore reopened = TestDatabases.open(database, fixture.clock)) {
            assertEquals(0, reopened.migrationsApplied());
            List<Integer> versions = reopened.transaction(connection -> {
                List<Integer> found = new ArrayList<>();
                try (Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
                    while (rows.next()) {
                        found.add(rows.getInt(1));
                    }
                }
                return found;
            });
            assertEquals(Schema.CURRENT_VERSION, versions.size());
            assertTrue(versions.getLast() == Schema.CURRENT_VERSION, versions.toString());
        }
    }
}
