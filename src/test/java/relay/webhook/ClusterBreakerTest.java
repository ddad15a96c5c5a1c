package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.Circuit;
import relay.domain.Circuit.State;
import relay.domain.Scheduler;
import relay.store.postgres.PostgresCircuit;
import relay.store.postgres.PostgresStore;
import relay.testing.Await;
import relay.testing.FakeClock;
import relay.testing.LogCapture;
import relay.testing.Postgres;
import relay.testing.Seed;
import relay.webhook.CircuitBreaker.Permit;

/**
 * One circuit for instances sharing PostgreSQL: here three stores on one database, each with its breaker, as three
 * instances would be, on one fake clock (the circuit's times come from the instances, never from the database).
 * Each breaker refreshes its copy as in production; what another instance did is awaited with a deadline.
 */
class ClusterBreakerTest {
    private static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");
    private static final int THRESHOLD = 5;
    private static final Duration WINDOW = Duration.ofSeconds(60);
    private static final Duration LEASE = Duration.ofSeconds(30);
    /** What the cluster promises for a reset (and any move) made on one instance to show on the others. */
    private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);
    /** Bounds a failing test only: each call waits up to 5 s for a connection while the database is away. */
    private static final Duration RECONNECTING = Duration.ofSeconds(60);

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    private final FakeClock clock = new FakeClock(T0);
    private final Postgres.Database database = Postgres.newDatabase();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService reads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<PostgresStore> stores = new ArrayList<>();
    private final List<CircuitBreaker> instances = new ArrayList<>();

    private CircuitBreaker a;
    private CircuitBreaker b;
    private CircuitBreaker c;

    private void startThree() throws IOException {
        a = instance("instance-a");
        b = instance("instance-b");
        c = instance("instance-c");
    }

    private CircuitBreaker instance(String name) throws IOException {
        PostgresStore store = PostgresStore.open(database.jdbcUrl(), database.user(), database.password(),
                database.jdbcUrl(), 4, clock);
        stores.add(store);
        CircuitBreaker breaker = new CircuitBreaker(new PostgresCircuit(store, name), name, THRESHOLD, WINDOW, LEASE, clock);
        breaker.keepFresh(Scheduler.on(timer), reads);
        instances.add(breaker);
        return breaker;
    }

    @AfterEach
    void stop() {
        instances.forEach(CircuitBreaker::close);
        timer.shutdownNow();
        reads.close();
        stores.forEach(PostgresStore::close);
    }

    @Test
    void shouldOpenOnEveryInstanceWhenFailuresCountedByDifferentInstancesReachTheThreshold() throws IOException {
        startThree();
        List<State> toldOnC = new CopyOnWriteArrayList<>();
        c.addListener(snapshot -> toldOnC.add(snapshot.state()));

        fail(a, 2);
        fail(b, 2);
        assertEquals(State.CLOSED, b.snapshot().state(), "four failures in all: below the threshold");
        fail(c, 1);

        for (CircuitBreaker instance : instances) {
            awaitState(instance, State.OPEN, Await.DEADLINE);
            assertEquals(T0.plus(WINDOW), instance.snapshot().retryAt());
        }
        assertEquals(THRESHOLD, a.snapshot().consecutiveFailures());
        assertEquals(List.of(State.OPEN), toldOnC, "the page's live monitor on C hears of it once");
        assertInstanceOf(Permit.Rejected.class, a.tryAcquire());
    }

    @Test
    void shouldGrantExactlyOneProbeAcrossTheClusterWhenTheWindowEnds() throws Exception {
        startThree();
        openEverywhere();
        clock.advance(WINDOW);
        Random random = seed.random();
        int callers = 60;
        List<CircuitBreaker> askers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            askers.add(instances.get(random.nextInt(instances.size())));
        }
        CountDownLatch start = new CountDownLatch(1);

        List<Permit> permits = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Permit>> futures = new ArrayList<>();
            for (CircuitBreaker asker : askers) {
                futures.add(threads.submit(() -> {
                    start.await();
                    return asker.tryAcquire();
                }));
            }
            start.countDown();
            for (Future<Permit> future : futures) {
                permits.add(future.get());
            }
        }

        assertEquals(1, permits.stream().filter(new Permit.Granted(true)::equals).count(), permits.toString());
        assertEquals(callers - 1, permits.stream().filter(Permit.Rejected.class::isInstance).count());
        for (CircuitBreaker instance : instances) {
            awaitState(instance, State.HALF_OPEN, Await.DEADLINE);
        }
    }

    @Test
    void shouldCloseEverywhereWhenTheProbeSucceeds() throws IOException {
        startThree();
        openEverywhere();
        clock.advance(WINDOW);
        assertEquals(new Permit.Granted(true), b.tryAcquire());
        assertInstanceOf(Permit.Rejected.class, a.tryAcquire(), "one probe: B's");

        b.onSuccess();

        for (CircuitBreaker instance : instances) {
            awaitState(instance, State.CLOSED, Await.DEADLINE);
        }
        assertEquals(new Permit.Granted(false), c.tryAcquire());
    }

    @Test
    void shouldCloseOnEveryInstanceWithinOneSecondOfAResetOnOne() throws IOException {
        startThree();
        openEverywhere();

        a.reset();

        assertEquals(State.CLOSED, a.snapshot().state());
        for (CircuitBreaker other : List.of(b, c)) {
            awaitState(other, State.CLOSED, WITHIN_A_SECOND);
            assertEquals(0, other.snapshot().consecutiveFailures());
        }
    }

    @Test
    void shouldPauseEveryInstanceWhenOneHearsTheWebhookIsGone() throws IOException {
        startThree();

        c.pause("HTTP 410 Gone: the endpoint was removed");

        for (CircuitBreaker other : List.of(a, b)) {
            awaitState(other, State.OPEN, Await.DEADLINE);
            assertEquals("HTTP 410 Gone: the endpoint was removed", other.snapshot().pausedReason());
        }
        clock.advance(Duration.ofDays(1));
        assertEquals(new Permit.Rejected(null), a.tryAcquire(), "no probe while paused, however long");
        b.reset();
        awaitState(c, State.CLOSED, WITHIN_A_SECOND);
    }

    @Test
    void shouldHandTheProbeOfAVanishedInstanceToAnotherAfterItsLease() throws IOException {
        startThree();
        openEverywhere();
        clock.advance(WINDOW);
        assertEquals(new Permit.Granted(true), a.tryAcquire());
        vanish(a);

        assertInstanceOf(Permit.Rejected.class, b.tryAcquire(), "A's probe is A's until its lease ends");
        clock.advance(LEASE);
        assertEquals(new Permit.Granted(true), b.tryAcquire());

        assertInstanceOf(Permit.Rejected.class, c.tryAcquire(), "still one probe at a time");
        assertEquals("instance-b", stored().probeHolder());
        b.onFailure();
        assertEquals(State.OPEN, stored().state());
    }

    @Test
    void shouldKeepARenewedProbeFromBeingTakenOver() throws IOException {
        startThree();
        openEverywhere();
        clock.advance(WINDOW);
        assertEquals(new Permit.Granted(true), a.tryAcquire());

        clock.advance(LEASE.dividedBy(2));
        a.renewProbe();
        clock.advance(LEASE.dividedBy(2));

        assertInstanceOf(Permit.Rejected.class, b.tryAcquire(), "A's renewed probe is still A's");
        assertEquals("instance-a", stored().probeHolder());
    }

    @Test
    void shouldNotWriteTheRowForAttemptsWhileClosedWithNothingCounted() throws IOException {
        startThree();
        long version = stored().version();

        for (int i = 0; i < 20; i++) {
            assertEquals(new Permit.Granted(false), a.tryAcquire());
            a.onSuccess();
        }

        assertEquals(version, stored().version());
        fail(a, 1);
        a.onSuccess();
        assertEquals(version + 2, stored().version(), "a success after a failure clears the count");
    }

    @Test
    void shouldGoByItsCopyWithoutThrowingWhileTheDatabaseIsAwayAndCatchUpAfter() throws IOException {
        startThree();
        openEverywhere();
        try (LogCapture log = LogCapture.start()) {
            Postgres.cutOff(database);
            try {
                clock.advance(WINDOW);
                assertInstanceOf(Permit.Rejected.class, a.tryAcquire(), "no probe without the row");
                a.onFailure();
                a.refresh();
                assertEquals(State.OPEN, a.snapshot().state(), "the copy stands");
            } finally {
                Postgres.reconnect(database);
            }
            // A reset made while B's pool is still reconnecting is lost as any move then is: made again until seen.
            Await.until("a reset on B, seen on A", RECONNECTING, () -> {
                b.reset();
                return a.snapshot().state();
            }, State.CLOSED::equals);

            assertEquals(1, linesOf(log, "circuit.unshared", "instance-a"), "once per incident: " + log.text());
            assertEquals(1, linesOf(log, "circuit.shared_again", "instance-a"), log.text());
        }
    }

    private static long linesOf(LogCapture log, String event, String instance) {
        return log.events(event).stream().filter(line -> instance.equals(line.path("instance").asText())).count();
    }

    private void openEverywhere() {
        fail(a, THRESHOLD);
        for (CircuitBreaker instance : instances) {
            awaitState(instance, State.OPEN, Await.DEADLINE);
        }
    }

    private static void fail(CircuitBreaker instance, int times) {
        for (int i = 0; i < times; i++) {
            instance.onFailure();
        }
    }

    private static void awaitState(CircuitBreaker instance, State state, Duration within) {
        Await.until("the circuit " + state, within, () -> instance.snapshot().state(), state::equals);
    }

    /** As an instance killed: it neither reports nor renews, and reads nothing more. */
    private void vanish(CircuitBreaker instance) {
        instance.close();
        stores.get(instances.indexOf(instance)).close();
    }

    private Circuit stored() {
        return new PostgresCircuit(stores.get(instances.indexOf(c)), "reader").read();
    }
}
