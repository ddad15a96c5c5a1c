package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;
import relay.store.StoreFixture;
import relay.store.sqlite.SqliteStore;
import relay.webhook.Transitions.Effect;
import relay.webhook.Transitions.Outcome;

/**
 * The transition table, every cell: where each outcome takes a delivery in each state (or that it cannot happen
 * there), what the engine does about it, and — for the moves the store makes — that the store does exactly that.
 */
class TransitionsTest {
    private static final Duration LEASE = Duration.ofSeconds(30);

    /** Rows: outcomes; columns: queued, sending, retrying, held, delivered, failed; "—" where it cannot happen. */
    private static final String TABLE = """
            CLAIMED            | sending   sending   sending   —         —         —
            PROBED             | sending   sending   sending   sending   —         —
            DELIVERED          | —         delivered —         —         —         —
            RETRY              | —         retrying  —         —         —         —
            GAVE_UP            | —         failed    —         —         —         —
            REFUSED            | —         failed    —         —         —         —
            GONE               | —         held      —         —         —         —
            UNREADABLE         | —         retrying  —         —         —         —
            UNREADABLE_GAVE_UP | —         failed    —         —         —         —
            NOT_SENT           | —         retrying  —         —         —         —
            HELD_BY_CIRCUIT    | held      —         held      —         —         —
            RELEASED           | —         —         —         queued    —         —
            REQUEUED           | —         —         —         queued    —         queued
            FORCE_REQUEUED     | —         —         —         queued    queued    queued
            SKIPPED            | failed    —         failed    failed    —         failed
            """;

    private static final Map<Outcome, Set<Effect>> EFFECTS = Map.ofEntries(
            Map.entry(Outcome.CLAIMED, Set.of()),
            Map.entry(Outcome.PROBED, Set.of()),
            Map.entry(Outcome.DELIVERED, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.CIRCUIT_SUCCESS,
                    Effect.ADVANCE)),
            Map.entry(Outcome.RETRY, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.CIRCUIT_FAILURE,
                    Effect.ADVANCE)),
            Map.entry(Outcome.GAVE_UP, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.CIRCUIT_FAILURE,
                    Effect.ADVANCE)),
            Map.entry(Outcome.REFUSED, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.CIRCUIT_SUCCESS,
                    Effect.ADVANCE)),
            Map.entry(Outcome.GONE, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.CIRCUIT_PAUSE,
                    Effect.ADVANCE)),
            Map.entry(Outcome.UNREADABLE, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS, Effect.HAND_PROBE_ON,
                    Effect.ADVANCE)),
            Map.entry(Outcome.UNREADABLE_GAVE_UP, Set.of(Effect.RECORD_ATTEMPT, Effect.TELL_WATCHERS,
                    Effect.HAND_PROBE_ON, Effect.ADVANCE)),
            Map.entry(Outcome.NOT_SENT, Set.of(Effect.HAND_PROBE_ON, Effect.ADVANCE)),
            Map.entry(Outcome.HELD_BY_CIRCUIT, Set.of(Effect.TELL_WATCHERS)),
            Map.entry(Outcome.RELEASED, Set.of(Effect.ADVANCE)),
            Map.entry(Outcome.REQUEUED, Set.of(Effect.ADVANCE)),
            Map.entry(Outcome.FORCE_REQUEUED, Set.of(Effect.ADVANCE)),
            Map.entry(Outcome.SKIPPED, Set.of(Effect.ADVANCE)));

    /** What the store is asked to do for each outcome it carries out itself. */
    private static final Map<Outcome, BiConsumer<SqliteStore, Message>> STORE_MOVES = Map.of(
            Outcome.CLAIMED, (store, message) -> store.claim(later(), 10, "test", LEASE, Ordering.NONE),
            Outcome.PROBED, (store, message) -> store.claimProbe(later(), "test", LEASE, Ordering.NONE),
            Outcome.HELD_BY_CIRCUIT, (store, message) -> store.hold(later()),
            Outcome.RELEASED, (store, message) -> store.release(later()),
            Outcome.REQUEUED, (store, message) -> store.requeue(message.id(), false),
            Outcome.FORCE_REQUEUED, (store, message) -> store.requeue(message.id(), true),
            Outcome.SKIPPED, (store, message) -> store.skip(message.id()));

    @TempDir
    Path dataDir;

    @Test
    void shouldMoveEachStateAsTheTableSaysForEveryOutcome() {
        List<String> cells = new ArrayList<>();
        for (Outcome outcome : Outcome.values()) {
            StringBuilder row = new StringBuilder(String.format("%-18s |", outcome));
            for (DeliveryState state : DeliveryState.values()) {
                row.append(String.format(" %-9s", Transitions.after(state, outcome)
                        .map(transition -> transition.next().wireName()).orElse("—")));
            }
            cells.add(row.toString().stripTrailing());
        }

        assertEquals(TABLE.strip(), String.join("\n", cells));
    }

    @Test
    void shouldHaveTheSameEffectsForAnOutcomeFromEveryStateItCanHappenIn() {
        for (Outcome outcome : Outcome.values()) {
            for (DeliveryState state : DeliveryState.values()) {
                Optional<Transitions.Transition> cell = Transitions.after(state, outcome);
                cell.ifPresent(transition -> assertEquals(EFFECTS.get(outcome), transition.effects(),
                        state + " × " + outcome));
            }
            assertEquals(EFFECTS.get(outcome), Transitions.effectsOf(outcome), outcome.toString());
        }
        assertTrue(Transitions.describe().contains("sending   × DELIVERED          → delivered"),
                Transitions.describe());
    }

    @Test
    void shouldTellAnAttemptsOutcomeFromWhatCameBackAndWhatThePolicyDecided() {
        Instant now = Instant.parse("2025-03-01T10:00:00Z");
        AttemptResult ok = new AttemptResult.Response(now, Duration.ZERO, 200, Map.of(), "");
        AttemptResult down = new AttemptResult.Response(now, Duration.ZERO, 503, Map.of(), "");
        AttemptResult refused = new AttemptResult.Response(now, Duration.ZERO, 422, Map.of(), "");
        AttemptResult unreadable = new AttemptResult.AttachmentUnavailable(now, Duration.ZERO);
        RetryPolicy.Decision retry = new RetryPolicy.Decision.Retry(now, "x");
        RetryPolicy.Decision failed = new RetryPolicy.Decision.Failed("x");

        assertEquals(Outcome.DELIVERED, Transitions.of(ok, new RetryPolicy.Decision.Delivered(), false));
        assertEquals(Outcome.RETRY, Transitions.of(down, retry, true));
        assertEquals(Outcome.GAVE_UP, Transitions.of(down, failed, true));
        assertEquals(Outcome.REFUSED, Transitions.of(refused, failed, false));
        assertEquals(Outcome.GONE, Transitions.of(refused, new RetryPolicy.Decision.Gone("x"), false));
        assertEquals(Outcome.UNREADABLE, Transitions.of(unreadable, retry, true));
        assertEquals(Outcome.UNREADABLE_GAVE_UP, Transitions.of(unreadable, failed, true));
        assertThrows(IllegalArgumentException.class, () -> Transitions.afterAttempt(Outcome.SKIPPED));
    }

    static Stream<Arguments> storeCells() {
        return STORE_MOVES.keySet().stream().sorted().flatMap(outcome -> Stream.of(DeliveryState.values())
                .map(state -> Arguments.of(state, outcome)));
    }

    /** The store's guarded writes are the table's cells: a move it cannot make there leaves the delivery as it was. */
    @ParameterizedTest(name = "{0} × {1}")
    @MethodSource("storeCells")
    void shouldMakeEachMoveInTheStoreExactlyWhereTheTableAllowsIt(DeliveryState state, Outcome outcome)
            throws IOException {
        StoreFixture fixture = new StoreFixture();
        try (SqliteStore store = SqliteStore.open(dataDir, fixture.clock)) {
            Message message = inState(store, fixture, state);

            STORE_MOVES.get(outcome).accept(store, message);

            DeliveryState expected = Transitions.after(state, outcome).map(Transitions.Transition::next)
                    .orElse(state);
            assertEquals(expected, store.delivery(message.id()).orElseThrow().state());
        }
    }

    private static Instant later() {
        return StoreFixture.START.plus(Duration.ofDays(1));
    }

    /** A message whose delivery is in {@code state}, moved there as the engine would. */
    private static Message inState(SqliteStore store, StoreFixture fixture, DeliveryState state) {
        Message message = fixture.accept(store, "+5511999990001", "hello");
        switch (state) {
            case QUEUED -> {
            }
            case SENDING -> fixture.claim(store, message.id());
            case RETRYING -> fixture.settle(store, fixture.failedAttempt(message.id(), 1, 503),
                    DeliveryState.RETRYING, fixture.clock.instant(), "HTTP 503");
            case HELD -> store.hold(fixture.clock.instant());
            case DELIVERED -> fixture.settle(store, fixture.successfulAttempt(message.id(), 1),
                    DeliveryState.DELIVERED, null, null);
            case FAILED -> fixture.settle(store, fixture.failedAttempt(message.id(), 1, 422), DeliveryState.FAILED,
                    null, "HTTP 422");
        }
        assertEquals(state, store.delivery(message.id()).orElseThrow().state());
        return message;
    }
}
