package relay.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The circuit breaker's state at one moment, and every move it makes as a pure function: (circuit, event) → next
 * circuit. Where it is kept — in memory for one process, one row for instances sharing PostgreSQL — is its holder's
 * business; every holder moves it through these functions only, so that one instance and a cluster behave alike.
 *
 * <p>Closed counts consecutive failures; at the threshold it opens for a window, then hands one probe out
 * ({@code HALF_OPEN}); the probe's outcome closes it or opens a fresh window. A 410 pauses it (open, no window) until a
 * reset. Outcomes reported while open (attempts that started before it opened) are counted but do not move it; in
 * half-open any outcome decides, since it proves the webhook's current behaviour as well as the probe would.
 *
 * @param consecutiveFailures failures counted since the last success or reset
 * @param openedAt            when it last opened; null when closed
 * @param retryAt             when the open window ends; null when closed or paused
 * @param pausedReason        why delivery is paused; null unless paused since the last reset
 * @param probeHolder         who holds the half-open probe; null unless half-open
 * @param probeUntil          when a probe whose holder went quiet may be taken over by another; null when it never
 *                            expires (one process, where a probe always reports back)
 * @param version             counts the changes its holder stored: of two copies, the higher is the newer. Moves
 *                            leave it alone; the holder sets it when it stores a change
 */
public record Circuit(State state, int consecutiveFailures, Instant openedAt, Instant retryAt, String pausedReason,
                      String probeHolder, Instant probeUntil, long version) {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** Where each state may move; OPEN → OPEN is a pause of an open circuit, HALF_OPEN → HALF_OPEN a probe taken over. */
    private static final Map<State, Set<State>> LEGAL = new EnumMap<>(Map.of(
            State.CLOSED, EnumSet.of(State.OPEN),
            State.OPEN, EnumSet.of(State.HALF_OPEN, State.CLOSED, State.OPEN),
            State.HALF_OPEN, EnumSet.of(State.CLOSED, State.OPEN, State.HALF_OPEN)));

    /** A circuit nobody has moved yet. */
    public static final Circuit INITIAL = new Circuit(State.CLOSED, 0, null, null, null, null, null, 0);

    public Circuit {
        Objects.requireNonNull(state, "state");
        if (consecutiveFailures < 0) {
            throw new IllegalArgumentException("consecutiveFailures must not be negative");
        }
    }

    /**
     * The limits the instance making a move goes by: they come from its live configuration, not from the circuit.
     *
     * @param failureThreshold consecutive failures that open a closed circuit
     * @param openDuration     how long an opened circuit waits before its probe
     */
    public record Limits(int failureThreshold, Duration openDuration) {
        public Limits {
            if (failureThreshold < 1) {
                throw new IllegalArgumentException("failureThreshold must be at least 1");
            }
            if (openDuration.isNegative() || openDuration.isZero()) {
                throw new IllegalArgumentException("openDuration must be positive");
            }
        }
    }

    /** Whether a circuit in {@code from} may move to {@code to}. */
    public static boolean legal(State from, State to) {
        return LEGAL.get(from).contains(to);
    }

    /**
     * Asks to send one attempt. Closed: unchanged (send). Open with its window over, or half-open with a probe whose
     * holder let {@code probeUntil} pass: the probe goes to {@code holder} until {@code until} (null: for good). Any
     * other case: unchanged (wait). So the circuit changes exactly when it hands the probe out.
     */
    public Circuit acquire(Instant now, String holder, Instant until) {
        Objects.requireNonNull(holder, "holder");
        return switch (state) {
            case CLOSED -> this;
            case OPEN -> pausedReason == null && !now.isBefore(retryAt) ? probeTo(holder, until) : this;
            case HALF_OPEN -> probeUntil != null && !now.isBefore(probeUntil) ? probeTo(holder, until) : this;
        };
    }

    /** A successful attempt: clears the count, closes a half-open circuit; a late one leaves an open one alone. */
    public Circuit succeeded() {
        return switch (state) {
            case CLOSED -> withFailures(0);
            case HALF_OPEN -> closed();
            case OPEN -> this;
        };
    }

    /**
     * A failed attempt, counted: opens a closed circuit at the threshold and a half-open one at once, for a window of
     * {@code limits}; a late one leaves an open circuit's window as it is.
     */
    public Circuit failed(Instant now, Limits limits) {
        int failures = consecutiveFailures + 1;
        return switch (state) {
            case CLOSED -> failures >= limits.failureThreshold()
                    ? withFailures(failures).opened(now, limits) : withFailures(failures);
            case HALF_OPEN -> withFailures(failures).opened(now, limits);
            case OPEN -> withFailures(failures);
        };
    }

    /**
     * The probe {@code holder} took was never sent (the attempt failed inside the service): back to open with its
     * window already over, so that the next caller probes. Anything else — the circuit moved on, or another holds the
     * probe now — is left alone.
     */
    public Circuit probeCancelled(String holder) {
        return state == State.HALF_OPEN && holder.equals(probeHolder)
                ? move(State.OPEN, consecutiveFailures, openedAt, retryAt, null, null, null) : this;
    }

    /** {@code holder}'s probe is still under way: it may not be taken over before {@code until}. */
    public Circuit probeRenewed(String holder, Instant until) {
        return state == State.HALF_OPEN && holder.equals(probeHolder) && probeUntil != null && until != null
                ? new Circuit(state, consecutiveFailures, openedAt, retryAt, pausedReason, probeHolder, until, version)
                : this;
    }

    /** The webhook is gone for good: open without a window, no probes, until a reset. */
    public Circuit paused(Instant now, String reason) {
        Objects.requireNonNull(reason, "reason");
        return move(State.OPEN, consecutiveFailures, now, null, reason, null, null);
    }

    /** The operator's reset: closed at once, a pause ended, the count cleared. */
    public Circuit reset() {
        return state == State.CLOSED ? withFailures(0) : closed();
    }

    /**
     * New limits, the state kept and its numbers made sensible: a count at or above the new threshold is kept just
     * under it (it never reads above the threshold, and the next failure opens); an open window is measured afresh
     * from when it opened, so a shortened one may already be over. A pause stays until a reset.
     */
    public Circuit reconfigured(Limits limits) {
        return switch (state) {
            case CLOSED -> withFailures(Math.min(consecutiveFailures, limits.failureThreshold() - 1));
            case OPEN -> pausedReason == null
                    ? new Circuit(state, consecutiveFailures, openedAt, openedAt.plus(limits.openDuration()), null,
                    null, null, version)
                    : this;
            case HALF_OPEN -> this;
        };
    }

    /** The same circuit as the holder's change number {@code next}. */
    public Circuit withVersion(long next) {
        return new Circuit(state, consecutiveFailures, openedAt, retryAt, pausedReason, probeHolder, probeUntil, next);
    }

    private Circuit probeTo(String holder, Instant until) {
        return move(State.HALF_OPEN, consecutiveFailures, openedAt, retryAt, null, holder, until);
    }

    private Circuit opened(Instant now, Limits limits) {
        return move(State.OPEN, consecutiveFailures, now, now.plus(limits.openDuration()), null, null, null);
    }

    private Circuit closed() {
        return move(State.CLOSED, 0, null, null, null, null, null);
    }

    private Circuit withFailures(int failures) {
        return failures == consecutiveFailures ? this : new Circuit(state, failures, openedAt, retryAt, pausedReason,
                probeHolder, probeUntil, version);
    }

    /** The one place the state changes. */
    private Circuit move(State next, int failures, Instant opened, Instant retry, String paused, String holder,
                         Instant until) {
        if (!legal(state, next)) {
            throw new IllegalStateException("illegal circuit transition " + state + " -> " + next);
        }
        return new Circuit(next, failures, opened, retry, paused, holder, until, version);
    }
}
