package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit.State;
import relay.testing.FakeClock;
import relay.webhook.CircuitBreaker.Permit;
import relay.webhook.CircuitBreaker.Snapshot;

/** New limits for a running circuit (the operator changed them): its state kept, its numbers sensible. */
class CircuitReconfigureTest {
    private static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");

    private final FakeClock clock = new FakeClock(T0);
    private final CircuitBreaker breaker = new CircuitBreaker(5, Duration.ofSeconds(60), clock);
    private final List<Snapshot> told = new CopyOnWriteArrayList<>();

    {
        breaker.addListener(told::add);
    }

    @Test
    void shouldKeepTheCountUnderALoweredThresholdSoTheNextFailureOpens() {
        fail(4);

        breaker.reconfigure(3, Duration.ofSeconds(60));

        Snapshot lowered = breaker.snapshot();
        assertEquals(State.CLOSED, lowered.state());
        assertEquals(2, lowered.consecutiveFailures(), "never more than the threshold shows, nor opens by itself");
        assertEquals(3, lowered.failureThreshold());
        assertEquals(List.of(lowered), told, "listeners see the new limits");
        fail(1);
        assertEquals(State.OPEN, breaker.snapshot().state());
        assertEquals(3, breaker.snapshot().consecutiveFailures());
    }

    @Test
    void shouldKeepTheCountUnderARaisedThreshold() {
        fail(4);

        breaker.reconfigure(10, Duration.ofSeconds(60));

        assertEquals(4, breaker.snapshot().consecutiveFailures());
        fail(5);
        assertEquals(State.CLOSED, breaker.snapshot().state());
        fail(1);
        assertEquals(State.OPEN, breaker.snapshot().state());
    }

    @Test
    void shouldMeasureAnOpenWindowAfreshFromWhenItOpened() {
        fail(5);
        clock.advance(Duration.ofSeconds(20));

        breaker.reconfigure(5, Duration.ofSeconds(120));
        assertEquals(T0.plusSeconds(120), breaker.snapshot().retryAt());
        assertInstanceOf(Permit.Rejected.class, breaker.tryAcquire());

        breaker.reconfigure(5, Duration.ofSeconds(10));

        assertEquals(T0.plusSeconds(10), breaker.snapshot().retryAt(), "a shortened window may be over already");
        assertEquals(new Permit.Granted(true), breaker.tryAcquire());
        assertEquals(State.HALF_OPEN, breaker.snapshot().state());
    }

    @Test
    void shouldLeaveAPauseUntilAReset() {
        breaker.pause("HTTP 410 Gone: the endpoint was removed");

        breaker.reconfigure(2, Duration.ofSeconds(5));

        Snapshot paused = breaker.snapshot();
        assertEquals(State.OPEN, paused.state());
        assertEquals("HTTP 410 Gone: the endpoint was removed", paused.pausedReason());
        assertNull(paused.retryAt());
        assertEquals(new Permit.Rejected(null), breaker.tryAcquire());
    }

    @Test
    void shouldTellNothingWhenTheLimitsAreTheSame() {
        breaker.reconfigure(5, Duration.ofSeconds(60));

        assertEquals(List.of(), told);
    }

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            breaker.onFailure();
        }
    }
}
