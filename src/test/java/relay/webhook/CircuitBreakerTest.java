package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit.State;
import relay.testing.FakeClock;
import relay.webhook.CircuitBreaker.Permit;
import relay.webhook.CircuitBreaker.Snapshot;

class CircuitBreakerTest {
    private static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");
    private static final Duration WINDOW = Duration.ofSeconds(60);

    private final FakeClock clock = new FakeClock(T0);
    private final CircuitBreaker breaker = new CircuitBreaker(5, WINDOW, clock);
    private final List<Snapshot> told = new CopyOnWriteArrayList<>();

    {
        breaker.addListener(told::add);
    }

    @Test
    void shouldStayClosedBelowTheThreshold() {
        fail(4);

        assertEquals(State.CLOSED, breaker.snapshot().state());
        assertEquals(4, breaker.snapshot().consecutiveFailures());
        assertEquals(new Permit.Granted(false), breaker.tryAcquire());
        assertTrue(told.isEmpty());
    }

    @Test
    void shouldOpenAtTheThresholdOfConsecutiveFailures() {
        fail(5);

        Snapshot s = breaker.snapshot();
        assertEquals(State.OPEN, s.state());
        assertEquals(T0, s.openedAt());
        assertEquals(T0.plus(WINDOW), s.retryAt());
        assertNull(s.pausedReason());
    }

    @Test
    void shouldCountOnlyConsecutiveFailures() {
        fail(4);
        breaker.onSuccess();
        fail(4);

        assertEquals(State.CLOSED, breaker.snapshot().state());
        assertEquals(4, breaker.snapshot().consecutiveFailures());
    }

    @Test
    void shouldRejectDuringTheOpenWindow() {
        fail(5);
        clock.advance(WINDOW.minusSeconds(1));

        assertEquals(new Permit.Rejected(T0.plus(WINDOW)), breaker.tryAcquire());
        assertEquals(State.OPEN, breaker.snapshot().state());
    }

    @Test
    void shouldGrantExactlyOneProbeWhenTheWindowEndsUnderConcurrentCallers() throws Exception {
        fail(5);
        clock.advance(WINDOW);
        int callers = 200;
        CountDownLatch start = new CountDownLatch(1);

        List<Permit> permits;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Permit>> futures = IntStream.range(0, callers)
                    .mapToObj(i -> threads.submit(() -> {
                        start.await();
                        return breaker.tryAcquire();
                    }))
                    .toList();
            start.countDown();
            permits = futures.stream().map(CircuitBreakerTest::join).toList();
        }

        assertEquals(1, permits.stream().filter(p -> p.equals(new Permit.Granted(true))).count());
        assertEquals(callers - 1, permits.stream().filter(p -> p instanceof Permit.Rejected).count());
        assertEquals(State.HALF_OPEN, breaker.snapshot().state());
    }

    @Test
    void shouldCloseWhenTheProbeSucceeds() {
        fail(5);
        clock.advance(WINDOW);
        assertEquals(new Permit.Granted(true), breaker.tryAcquire());

        breaker.onSuccess();

        Snapshot s = breaker.snapshot();
        assertEquals(State.CLOSED, s.state());
        assertEquals(0, s.consecutiveFailures());
        assertNull(s.openedAt());
        assertNull(s.retryAt());
        assertEquals(new Permit.Granted(false), breaker.tryAcquire());
    }

    @Test
    void shouldReopenWithAFreshWindowWhenTheProbeFails() {
        fail(5);
        clock.advance(WINDOW.plusSeconds(7));
        breaker.tryAcquire();
        Instant probeFailedAt = clock.instant();

        fail(1);

        Snapshot s = breaker.snapshot();
        assertEquals(State.OPEN, s.state());
        assertEquals(probeFailedAt, s.openedAt());
        assertEquals(probeFailedAt.plus(WINDOW), s.retryAt());
        assertEquals(new Permit.Rejected(probeFailedAt.plus(WINDOW)), breaker.tryAcquire());
        clock.advance(WINDOW);
        assertEquals(new Permit.Granted(true), breaker.tryAcquire());
    }

    @Test
    void shouldNotMoveOnLateOutcomesWhileOpen() {
        fail(5);

        breaker.onSuccess();
        fail(1);

        assertEquals(State.OPEN, breaker.snapshot().state());
        assertEquals(T0.plus(WINDOW), breaker.snapshot().retryAt());
        assertEquals(1, told.size());
    }

    @Test
    void shouldLetTheNextCallerProbeWhenAProbeIsCancelled() {
        fail(5);
        clock.advance(WINDOW);
        breaker.tryAcquire();

        breaker.cancelProbe();

        assertEquals(State.OPEN, breaker.snapshot().state());
        assertEquals(T0.plus(WINDOW), breaker.snapshot().retryAt());
        assertEquals(new Permit.Granted(true), breaker.tryAcquire());
    }

    @Test
    void shouldIgnoreACancelledProbeOnceTheCircuitMovedOn() {
        fail(5);
        clock.advance(WINDOW);
        breaker.tryAcquire();
        breaker.onSuccess();

        breaker.cancelProbe();

        assertEquals(State.CLOSED, breaker.snapshot().state());
    }

    @Test
    void shouldCloseAtOnceOnReset() {
        fail(5);

        breaker.reset();

        assertEquals(State.CLOSED, breaker.snapshot().state());
        assertEquals(0, breaker.snapshot().consecutiveFailures());
        assertEquals(new Permit.Granted(false), breaker.tryAcquire());
    }

    @Test
    void shouldClearTheCountOnResetWhileClosed() {
        fail(3);

        breaker.reset();

        assertEquals(0, breaker.snapshot().consecutiveFailures());
        assertTrue(told.isEmpty(), "no state change, nothing to tell");
    }

    @Test
    void shouldHoldWithoutProbesWhilePausedUntilReset() {
        breaker.pause("HTTP 410 Gone: the endpoint was removed");
        clock.advance(Duration.ofDays(1));

        assertEquals(new Permit.Rejected(null), breaker.tryAcquire());
        Snapshot s = breaker.snapshot();
        assertEquals(State.OPEN, s.state());
        assertEquals("HTTP 410 Gone: the endpoint was removed", s.pausedReason());
        assertNull(s.retryAt());

        breaker.reset();

        assertEquals(new Permit.Granted(false), breaker.tryAcquire());
        assertNull(breaker.snapshot().pausedReason());
    }

    @Test
    void shouldPauseAnOpenCircuitAndCancelItsWindow() {
        fail(5);

        breaker.pause("gone");
        clock.advance(WINDOW);

        assertEquals(new Permit.Rejected(null), breaker.tryAcquire());
    }

    @Test
    void shouldTellListenersOfEveryChangeInOrder() {
        fail(5);
        clock.advance(WINDOW);
        breaker.tryAcquire();
        fail(1);
        clock.advance(WINDOW);
        breaker.tryAcquire();
        breaker.onSuccess();
        breaker.pause("gone");
        breaker.reset();

        assertEquals(List.of(State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN, State.CLOSED, State.OPEN,
                State.CLOSED), told.stream().map(Snapshot::state).toList());
        assertEquals("gone", told.get(5).pausedReason());
        assertEquals(6, told.get(2).consecutiveFailures());
    }

    @Test
    void shouldTellListenersOutsideTheLockSoTheyCanReadTheBreaker() {
        List<State> seen = new CopyOnWriteArrayList<>();
        breaker.addListener(s -> seen.add(breaker.snapshot().state()));

        fail(5);

        assertEquals(List.of(State.OPEN), seen);
    }

    @Test
    void shouldKeepCountingLateFailuresWhileOpen() {
        fail(60);

        assertEquals(60, breaker.snapshot().consecutiveFailures());
        assertEquals(T0.plus(WINDOW), breaker.snapshot().retryAt());
    }

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            breaker.onFailure();
        }
    }

    private static <T> T join(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
