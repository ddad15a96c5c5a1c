package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import relay.config.Config;
import relay.config.ConfigLoader;
import relay.config.Key;
import relay.config.Source;
import relay.store.SettingsStore;
import relay.store.Signal;
import relay.store.Signals;
import relay.store.StorageException;
import relay.store.StorageFault;
import relay.testing.FakeClock;
import relay.webhook.DeliveryEngine;
import relay.webhook.RetryPolicy;

/** The configuration in force as the operator changes it, against a store held in memory and a fake clock. */
class LiveConfigTest {
    private static final String SECRET_A = "whsec_" + "YWFh".repeat(8);
    private static final String SECRET_B = "whsec_" + "YmJi".repeat(8);

    private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T09:00:00Z"));
    private final MemorySettings store = new MemorySettings();
    private final List<LiveConfig.Change> told = new ArrayList<>();
    private final Config base = ConfigLoader.fromValues(Map.of("WEBHOOK_URL", "https://hooks.example.com/a",
            "WEBHOOK_RETRY_BASE_SECONDS", "10", "WEBHOOK_RETRY_MAX_SECONDS", "60", "WEBHOOK_SECRET", SECRET_A));

    private LiveConfig open() {
        LiveConfig live = LiveConfig.open(base, store, url -> Optional.empty(), LiveConfigTest::engineSettings, clock,
                Signals.none());
        live.addListener(told::add);
        return live;
    }

    @Test
    void shouldLeaveEverythingAsItWasWhenTheStoreCannotSave() {
        LiveConfig live = open();
        LiveConfig.InForce before = live.current();
        store.failing = true;

        assertThrows(StorageException.class, () -> live.change(Map.of(Key.WEBHOOK_TIMEOUT, "9"), "test"));

        assertSame(before, live.current());
        assertEquals(List.of(), told);
        store.failing = false;
        assertInstanceOf(LiveConfig.Accepted.class, live.change(Map.of(Key.WEBHOOK_CONCURRENCY, "4"), "test"));
        assertEquals(Map.of("WEBHOOK_CONCURRENCY", "4"), store.saved, "the failed change was not kept either");
    }

    @Test
    void shouldSetAsideSavedValuesThatNoLongerPassUnderTheEnvBeneathThem() {
        store.saved.put("WEBHOOK_RETRY_MAX_SECONDS", "5");
        store.saved.put("WEBHOOK_TIMEOUT", "9");

        LiveConfig live = open();

        assertSame(base, live.current().config());
        assertEquals(Source.ENVIRONMENT, live.current().config().sources().get(Key.WEBHOOK_RETRY_MAX_SECONDS));
    }

    @Test
    void shouldKeepThePreviousSecretForADayAcrossReopeningAndForgetItAfter() {
        LiveConfig live = open();

        live.change(Map.of(Key.WEBHOOK_SECRET, SECRET_B), "test");

        LiveConfig.PreviousSecret previous = live.current().previousSecret().orElseThrow();
        assertEquals(SECRET_A, previous.secret().reveal());
        assertEquals(clock.instant().plus(Duration.ofHours(24)), previous.until());
        assertEquals(SECRET_B, live.current().config().webhookSecret().orElseThrow().reveal());
        clock.advance(Duration.ofHours(23));
        assertEquals(previous.until(), open().current().previousSecret().orElseThrow().until());
        clock.advance(Duration.ofHours(1));
        assertTrue(open().current().previousSecret().isEmpty());
    }

    @Test
    void shouldGoBackToTheStartingValueWithNull() {
        LiveConfig live = open();
        live.change(Map.of(Key.WEBHOOK_TIMEOUT, "9"), "test");
        Map<Key, String> back = new EnumMap<>(Key.class);
        back.put(Key.WEBHOOK_TIMEOUT, null);

        LiveConfig.Accepted accepted = assertInstanceOf(LiveConfig.Accepted.class, live.change(back, "test"));

        assertEquals(Duration.ofSeconds(5), accepted.change().inForce().config().webhookTimeout());
        assertEquals(Source.DEFAULT, accepted.change().inForce().config().sources().get(Key.WEBHOOK_TIMEOUT));
        assertEquals(Map.of(), store.saved);
        assertEquals(List.of(Key.WEBHOOK_TIMEOUT), told.stream().flatMap(c -> c.keys().stream()).distinct().toList());
    }

    @Test
    void shouldTakeInOnceWhatAnotherInstanceSavedAndTellTheOthersOfItsOwnChanges() {
        List<Signal> sent = new ArrayList<>();
        LiveConfig elsewhere = LiveConfig.open(base, store, url -> Optional.empty(), LiveConfigTest::engineSettings,
                clock, new Signals() {
                    @Override
                    public void send(Signal signal) {
                        sent.add(signal);
                    }

                    @Override
                    public void addListener(Consumer<Signal> listener) {
                    }

                    @Override
                    public boolean shared() {
                        return true;
                    }

                    @Override
                    public void close() {
                    }
                });
        LiveConfig live = open();
        live.refresh();
        assertEquals(List.of(), told, "nothing was saved since it opened");

        elsewhere.change(Map.of(Key.WEBHOOK_TIMEOUT, "9", Key.WEBHOOK_SECRET, SECRET_B), "test");
        live.refresh();
        live.refresh();

        assertEquals(List.of(new Signal.ConfigChanged()), sent);
        assertEquals(1, told.size(), "told once: " + told);
        assertEquals(Set.of(Key.WEBHOOK_TIMEOUT, Key.WEBHOOK_SECRET), told.getFirst().keys());
        assertEquals("another instance", told.getFirst().by());
        assertEquals(Duration.ofSeconds(9), live.current().config().webhookTimeout());
        assertEquals(SECRET_A, live.current().previousSecret().orElseThrow().secret().reveal(),
                "the rotation goes on here too");
        assertEquals(elsewhere.current().previousSecret().orElseThrow().until(),
                live.current().previousSecret().orElseThrow().until());
    }

    @Test
    void shouldKeepWhatAnotherInstanceSavedWhenChangingSomethingElseBeforeHearingOfIt() {
        LiveConfig elsewhere = open();
        LiveConfig live = open();

        elsewhere.change(Map.of(Key.WEBHOOK_TIMEOUT, "9"), "test");
        live.change(Map.of(Key.WEBHOOK_CONCURRENCY, "4"), "test");

        assertEquals(Map.of("WEBHOOK_TIMEOUT", "9", "WEBHOOK_CONCURRENCY", "4"), store.saved);
        assertEquals(Duration.ofSeconds(9), live.current().config().webhookTimeout());
    }

    private static DeliveryEngine.Live engineSettings(LiveConfig.InForce inForce) {
        Config config = inForce.config();
        return new DeliveryEngine.Live(Optional.empty(), new RetryPolicy(config.retryBase(), config.retryMax(),
                new Random(1)), config::maxRetriesFor, config.ordering(), config.concurrency(),
                config.circuitFailureThreshold(), config.circuitOpen());
    }

    private static final class MemorySettings implements SettingsStore {
        final Map<String, String> saved = new HashMap<>();
        boolean failing;

        @Override
        public Map<String, String> all() {
            return Map.copyOf(saved);
        }

        @Override
        public void replace(Map<String, String> settings) {
            if (failing) {
                throw new StorageException(StorageFault.FULL, "settings", "SQLITE_FULL", null);
            }
            saved.clear();
            saved.putAll(settings);
        }
    }
}
