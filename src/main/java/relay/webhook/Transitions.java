package relay.webhook;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import relay.domain.DeliveryState;

/**
 * Every way a delivery moves, as one table: (state, outcome) → (next state, effects). The engine looks each move
 * up here and does what it says; an empty cell is a move that cannot happen (the store's guarded writes refuse it).
 * Printed by {@link #describe()}; walked cell by cell by its test.
 */
final class Transitions {
    /** What happened to a delivery. */
    enum Outcome {
        /** Taken for an attempt: a due head, or one whose lease ran out. */
        CLAIMED,
        /** Taken as the one probe of a circuit whose open window ended; a held delivery may be it. */
        PROBED,
        /** Answered 2xx. */
        DELIVERED,
        /** Failed in a way worth retrying (no answer, 408, 425, 429, 5xx), with a retry left. */
        RETRY,
        /** Failed in a way worth retrying, with no retry left. */
        GAVE_UP,
        /** Answered with a status not worth retrying (3xx, 4xx such as 422): the endpoint is up and said no. */
        REFUSED,
        /** Answered 410 Gone: delivery pauses until the circuit is reset. */
        GONE,
        /** Its attachment could not be read (the store's trouble, not the webhook's), with a retry left. */
        UNREADABLE,
        /** Its attachment could not be read, with no retry left. */
        UNREADABLE_GAVE_UP,
        /** The attempt failed inside the service before anything was sent: due again a little later. */
        NOT_SENT,
        /** Due while the circuit is open. */
        HELD_BY_CIRCUIT,
        /** The circuit closed. */
        RELEASED,
        /** Resent by the operator. */
        REQUEUED,
        /** Resent by the operator although delivered ({@code ?force=true}). */
        FORCE_REQUEUED,
        /** Given up on by the operator. */
        SKIPPED
    }

    /** What the engine does besides writing the next state and telling listeners. */
    enum Effect {
        /** The attempt is recorded with the state, in the same fenced write. */
        RECORD_ATTEMPT,
        /** The endpoint answered: it is up. */
        CIRCUIT_SUCCESS,
        /** The endpoint is unwell: counts towards opening the circuit. */
        CIRCUIT_FAILURE,
        /** The endpoint is gone: the circuit pauses until reset. */
        CIRCUIT_PAUSE,
        /** Nothing reached the endpoint: if this attempt was the probe, the next one goes instead. */
        HAND_PROBE_ON,
        /** Whoever watches the message's first attempt is told how it went. */
        TELL_WATCHERS,
        /** Its conversation may go on, or something is due: the claim loop looks again. */
        ADVANCE
    }

    record Transition(DeliveryState next, Set<Effect> effects) {
        Transition {
            effects = Set.copyOf(effects);
        }
    }

    private static final Map<DeliveryState, Map<Outcome, Transition>> TABLE = new EnumMap<>(DeliveryState.class);

    static {
        Set<Effect> attempt = EnumSet.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS);
        on(Outcome.CLAIMED, DeliveryState.SENDING, Set.of(),
                DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.SENDING);
        on(Outcome.PROBED, DeliveryState.SENDING, Set.of(),
                DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.SENDING, DeliveryState.HELD);
        on(Outcome.DELIVERED, DeliveryState.DELIVERED, with(attempt, Effect.CIRCUIT_SUCCESS, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.RETRY, DeliveryState.RETRYING, with(attempt, Effect.CIRCUIT_FAILURE, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.GAVE_UP, DeliveryState.FAILED, with(attempt, Effect.CIRCUIT_FAILURE, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.REFUSED, DeliveryState.FAILED, with(attempt, Effect.CIRCUIT_SUCCESS, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.GONE, DeliveryState.HELD, with(attempt, Effect.CIRCUIT_PAUSE, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.UNREADABLE, DeliveryState.RETRYING, with(attempt, Effect.HAND_PROBE_ON, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.UNREADABLE_GAVE_UP, DeliveryState.FAILED, with(attempt, Effect.HAND_PROBE_ON, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.NOT_SENT, DeliveryState.RETRYING, EnumSet.of(Effect.HAND_PROBE_ON, Effect.ADVANCE),
                DeliveryState.SENDING);
        on(Outcome.HELD_BY_CIRCUIT, DeliveryState.HELD, EnumSet.of(Effect.TELL_WATCHERS),
                DeliveryState.QUEUED, DeliveryState.RETRYING);
        on(Outcome.RELEASED, DeliveryState.QUEUED, EnumSet.of(Effect.ADVANCE), DeliveryState.HELD);
        on(Outcome.REQUEUED, DeliveryState.QUEUED, EnumSet.of(Effect.ADVANCE),
                DeliveryState.FAILED, DeliveryState.HELD);
        on(Outcome.FORCE_REQUEUED, DeliveryState.QUEUED, EnumSet.of(Effect.ADVANCE),
                DeliveryState.FAILED, DeliveryState.HELD, DeliveryState.DELIVERED);
        on(Outcome.SKIPPED, DeliveryState.FAILED, EnumSet.of(Effect.ADVANCE),
                DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.HELD, DeliveryState.FAILED);
    }

    private Transitions() {
    }

    private static void on(Outcome outcome, DeliveryState next, Set<Effect> effects, DeliveryState... from) {
        for (DeliveryState state : from) {
            TABLE.computeIfAbsent(state, s -> new EnumMap<>(Outcome.class)).put(outcome, new Transition(next, effects));
        }
    }

    private static Set<Effect> with(Set<Effect> base, Effect... more) {
        Set<Effect> all = EnumSet.copyOf(base);
        all.addAll(Set.of(more));
        return all;
    }

    /** Where {@code outcome} takes a delivery in {@code state}; empty when it cannot happen there. */
    static Optional<Transition> after(DeliveryState state, Outcome outcome) {
        return Optional.ofNullable(TABLE.getOrDefault(state, Map.of()).get(outcome));
    }

    /** What {@code outcome} makes the engine do, the same from every state it can happen in. */
    static Set<Effect> effectsOf(Outcome outcome) {
        return TABLE.values().stream().map(row -> row.get(outcome)).filter(Objects::nonNull)
                .map(Transition::effects).findFirst().orElseThrow();
    }

    /** Where an attempt's outcome takes the delivery it was made for, which is being sent. */
    static Transition afterAttempt(Outcome outcome) {
        return after(DeliveryState.SENDING, outcome).orElseThrow(
                () -> new IllegalArgumentException(outcome + " is not the outcome of an attempt"));
    }

    /**
     * What an attempt came to. An attachment that could not be read is the store's trouble: retried like a network
     * failure, but it says nothing about the endpoint.
     */
    static Outcome of(AttemptResult result, RetryPolicy.Decision decision, boolean retryable) {
        boolean unreadable = result instanceof AttemptResult.AttachmentUnavailable;
        return switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> Outcome.DELIVERED;
            case RetryPolicy.Decision.Retry retry -> unreadable ? Outcome.UNREADABLE : Outcome.RETRY;
            case RetryPolicy.Decision.Failed failed -> unreadable ? Outcome.UNREADABLE_GAVE_UP
                    : retryable ? Outcome.GAVE_UP : Outcome.REFUSED;
            case RetryPolicy.Decision.Gone gone -> Outcome.GONE;
        };
    }

    /** The table, one line per cell that can happen: {@code state × outcome → next [effects]}. */
    static String describe() {
        StringBuilder out = new StringBuilder();
        TABLE.forEach((state, row) -> row.forEach((outcome, transition) -> out.append(String.format(
                "%-9s × %-18s → %-9s %s%n", state.wireName(), outcome, transition.next().wireName(),
                new TreeSet<>(transition.effects())))));
        return out.toString();
    }
}
