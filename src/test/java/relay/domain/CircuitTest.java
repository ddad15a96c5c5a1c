package relay.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit.Limits;
import relay.domain.Circuit.State;

/** Every move of the circuit, cell by cell: (state, event) → next state, as pure functions. */
class CircuitTest {
    private static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");
    private static final Duration WINDOW = Duration.ofSeconds(60);
    private static final Limits LIMITS = new Limits(3, WINDOW);
    private static final String A = "instance-a";
    private static final String B = "instance-b";

    private static final Circuit CLOSED = Circuit.INITIAL;
    private static final Circuit OPEN = new Circuit(State.OPEN, 3, T0, T0.plus(WINDOW), null, null, null, 4);
    private static final Circuit PAUSED = new Circuit(State.OPEN, 0, T0, null, "HTTP 410 Gone", null, null, 4);
    /** A's probe, held until T0 + 70 s (a shared circuit). */
    private static final Circuit HALF_OPEN = new Circuit(State.HALF_OPEN, 3, T0, T0.plus(WINDOW), null, A,
            T0.plusSeconds(70), 5);
    /** A's probe in one process: it never expires. */
    private static final Circuit HALF_OPEN_FOR_GOOD = new Circuit(State.HALF_OPEN, 3, T0, T0.plus(WINDOW), null, A,
            null, 5);

    // ---- acquire

    @Test
    void shouldLetEverythingThroughWhileClosed() {
        assertSame(CLOSED, CLOSED.acquire(T0, A, null));
    }

    @Test
    void shouldHoldWhileTheWindowRuns() {
        assertSame(OPEN, OPEN.acquire(T0.plus(WINDOW).minusMillis(1), A, null));
    }

    @Test
    void shouldHandTheProbeOutWhenTheWindowEnds() {
        Circuit probing = OPEN.acquire(T0.plus(WINDOW), A, T0.plusSeconds(90));

        assertEquals(new Circuit(State.HALF_OPEN, 3, T0, T0.plus(WINDOW), null, A, T0.plusSeconds(90), 4), probing);
    }

    @Test
    void shouldHandNoProbeWhilePaused() {
        assertSame(PAUSED, PAUSED.acquire(T0.plus(Duration.ofDays(1)), A, null));
    }

    @Test
    void shouldHandNoSecondProbeWhileTheFirstIsHeld() {
        assertSame(HALF_OPEN, HALF_OPEN.acquire(T0.plusSeconds(70).minusMillis(1), B, T0.plusSeconds(100)));
        assertSame(HALF_OPEN_FOR_GOOD, HALF_OPEN_FOR_GOOD.acquire(T0.plus(Duration.ofDays(1)), B, null));
    }

    @Test
    void shouldHandAProbeWhoseHolderWentQuietToTheNextCaller() {
        Circuit takenOver = HALF_OPEN.acquire(T0.plusSeconds(70), B, T0.plusSeconds(100));

        assertEquals(State.HALF_OPEN, takenOver.state());
        assertEquals(B, takenOver.probeHolder());
        assertEquals(T0.plusSeconds(100), takenOver.probeUntil());
    }

    // ---- succeeded

    @Test
    void shouldClearTheCountOnASuccessWhileClosed() {
        Circuit counted = CLOSED.failed(T0, LIMITS).failed(T0, LIMITS);

        assertEquals(CLOSED, counted.succeeded());
        assertSame(CLOSED, CLOSED.succeeded(), "nothing counted: nothing changes");
    }

    @Test
    void shouldCloseWhenTheProbeSucceeds() {
        assertEquals(CLOSED.withVersion(5), HALF_OPEN.succeeded());
    }

    @Test
    void shouldLeaveAnOpenCircuitAloneOnALateSuccess() {
        assertSame(OPEN, OPEN.succeeded());
        assertSame(PAUSED, PAUSED.succeeded());
    }

    // ---- failed

    @Test
    void shouldCountFailuresBelowTheThreshold() {
        Circuit twice = CLOSED.failed(T0, LIMITS).failed(T0, LIMITS);

        assertEquals(State.CLOSED, twice.state());
        assertEquals(2, twice.consecutiveFailures());
    }

    @Test
    void shouldOpenAtTheThreshold() {
        Circuit opened = CLOSED.failed(T0, LIMITS).failed(T0, LIMITS).failed(T0.plusSeconds(5), LIMITS);

        assertEquals(new Circuit(State.OPEN, 3, T0.plusSeconds(5), T0.plusSeconds(65), null, null, null, 0), opened);
    }

    @Test
    void shouldReopenWithAFreshWindowWhenTheProbeFails() {
        Instant failedAt = T0.plusSeconds(75);

        assertEquals(new Circuit(State.OPEN, 4, failedAt, failedAt.plus(WINDOW), null, null, null, 5),
                HALF_OPEN.failed(failedAt, LIMITS));
    }

    @Test
    void shouldCountALateFailureButKeepTheWindow() {
        Circuit late = OPEN.failed(T0.plusSeconds(10), LIMITS);

        assertEquals(4, late.consecutiveFailures());
        assertEquals(T0, late.openedAt());
        assertEquals(T0.plus(WINDOW), late.retryAt());
        assertEquals("HTTP 410 Gone", PAUSED.failed(T0.plusSeconds(10), LIMITS).pausedReason());
    }

    // ---- probeCancelled and probeRenewed

    @Test
    void shouldReopenWithTheWindowOverWhenItsHolderCancelsTheProbe() {
        assertEquals(new Circuit(State.OPEN, 3, T0, T0.plus(WINDOW), null, null, null, 5),
                HALF_OPEN.probeCancelled(A));
    }

    @Test
    void shouldIgnoreACancelByAnotherThanTheHolder() {
        assertSame(HALF_OPEN, HALF_OPEN.probeCancelled(B));
    }

    @Test
    void shouldIgnoreACancelOnceTheCircuitMovedOn() {
        for (Circuit circuit : List.of(CLOSED, OPEN, PAUSED)) {
            assertSame(circuit, circuit.probeCancelled(A));
        }
    }

    @Test
    void shouldPushTheHoldersDeadlineOnWhenItRenews() {
        assertEquals(T0.plusSeconds(99), HALF_OPEN.probeRenewed(A, T0.plusSeconds(99)).probeUntil());
    }

    @Test
    void shouldRenewOnlyTheHoldersProbeAndOnlyOneThatExpires() {
        assertSame(HALF_OPEN, HALF_OPEN.probeRenewed(B, T0.plusSeconds(99)));
        assertSame(HALF_OPEN_FOR_GOOD, HALF_OPEN_FOR_GOOD.probeRenewed(A, T0.plusSeconds(99)));
        for (Circuit circuit : List.of(CLOSED, OPEN, PAUSED)) {
            assertSame(circuit, circuit.probeRenewed(A, T0.plusSeconds(99)));
        }
    }

    // ---- paused and reset

    @Test
    void shouldPauseFromEveryStateWithoutAWindow() {
        Instant at = T0.plusSeconds(30);
        for (Circuit circuit : List.of(CLOSED, OPEN, PAUSED, HALF_OPEN)) {
            Circuit paused = circuit.paused(at, "gone");

            assertEquals(new Circuit(State.OPEN, circuit.consecutiveFailures(), at, null, "gone", null, null,
                    circuit.version()), paused, "from " + circuit);
        }
    }

    @Test
    void shouldCloseFromEveryStateOnReset() {
        for (Circuit circuit : List.of(OPEN, PAUSED, HALF_OPEN, CLOSED.failed(T0, LIMITS))) {
            assertEquals(CLOSED.withVersion(circuit.version()), circuit.reset(), "from " + circuit);
        }
        assertSame(CLOSED, CLOSED.reset());
    }

    // ---- reconfigured

    @Test
    void shouldKeepACountJustUnderALoweredThreshold() {
        Circuit four = CLOSED;
        for (int i = 0; i < 4; i++) {
            four = four.failed(T0, new Limits(5, WINDOW));
        }

        assertEquals(2, four.reconfigured(LIMITS).consecutiveFailures());
        assertEquals(4, four.reconfigured(new Limits(10, WINDOW)).consecutiveFailures());
    }

    @Test
    void shouldMeasureAnOpenWindowAfreshFromWhenItOpened() {
        assertEquals(T0.plusSeconds(10), OPEN.reconfigured(new Limits(3, Duration.ofSeconds(10))).retryAt());
        assertEquals(OPEN, OPEN.reconfigured(LIMITS));
    }

    @Test
    void shouldLeaveAPauseAndAProbeAloneOnNewLimits() {
        assertSame(PAUSED, PAUSED.reconfigured(new Limits(1, Duration.ofSeconds(5))));
        assertSame(HALF_OPEN, HALF_OPEN.reconfigured(new Limits(1, Duration.ofSeconds(5))));
    }

    // ---- the table of legal moves

    @Test
    void shouldListTheLegalMoves() {
        Map<State, List<State>> legal = Map.of(
                State.CLOSED, List.of(State.OPEN),
                State.OPEN, List.of(State.OPEN, State.HALF_OPEN, State.CLOSED),
                State.HALF_OPEN, List.of(State.HALF_OPEN, State.OPEN, State.CLOSED));
        for (State from : State.values()) {
            for (State to : State.values()) {
                assertEquals(legal.get(from).contains(to), Circuit.legal(from, to), from + " -> " + to);
            }
        }
    }

    /** Every event from every state lands on a legal move (or none): no cell throws. */
    @Test
    void shouldMoveOnlyAlongLegalMovesFromEveryStateOnEveryEvent() {
        List<UnaryOperator<Circuit>> events = List.of(
                c -> c.acquire(T0, B, null), c -> c.acquire(T0.plus(Duration.ofDays(1)), B, T0.plusSeconds(200)),
                Circuit::succeeded, c -> c.failed(T0.plusSeconds(1), LIMITS), c -> c.probeCancelled(A),
                c -> c.probeRenewed(A, T0.plusSeconds(99)), c -> c.paused(T0, "gone"), Circuit::reset,
                c -> c.reconfigured(new Limits(1, Duration.ofSeconds(1))));
        for (Circuit circuit : List.of(CLOSED, CLOSED.failed(T0, LIMITS), OPEN, PAUSED, HALF_OPEN,
                HALF_OPEN_FOR_GOOD)) {
            for (UnaryOperator<Circuit> event : events) {
                Circuit next = event.apply(circuit);
                assertTrue(next == circuit || next.state() == circuit.state()
                        || Circuit.legal(circuit.state(), next.state()), circuit + " -> " + next);
                assertEquals(circuit.version(), next.version(), "a move never sets the version");
            }
        }
    }

    @Test
    void shouldRefuseLimitsThatMakeNoSense() {
        assertThrows(IllegalArgumentException.class, () -> new Limits(0, WINDOW));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1, Duration.ZERO));
        assertFalse(Circuit.legal(State.CLOSED, State.HALF_OPEN), "a closed circuit never probes");
    }
}
