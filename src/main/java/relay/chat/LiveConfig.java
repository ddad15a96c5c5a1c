package relay.chat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import relay.config.Config;
import relay.config.ConfigLoader;
import relay.config.Key;
import relay.config.Secret;
import relay.log.EventLog;
import relay.store.SettingsStore;
import relay.store.Signal;
import relay.store.Signals;
import relay.webhook.DeliveryEngine;
import relay.webhook.WebhookSender;

/**
 * The configuration in force, which the operator changes while the service runs (the settings page, PUT
 * /chat/config). A change is checked by the very code that checks {@code .env} ({@link ConfigLoader#revise}, so the
 * same values pass with the same messages) and refused whole on any problem; once accepted it is saved in the store
 * (it wins over {@code .env} at every start until changed again), then told to listeners — the delivery engine first,
 * so the next attempt uses it — and logged with who made it, never with a secret.
 *
 * <p>Replacing the signing secret keeps the previous one signing beside it for {@link #ROTATION_GRACE}, so receivers
 * can move to the new secret without losing a delivery; the previous secret is saved too, so a restart keeps it.
 */
public final class LiveConfig {
    private static final EventLog LOG = EventLog.of(LiveConfig.class);
    /** How long a replaced signing secret keeps signing beside the new one. */
    public static final Duration ROTATION_GRACE = Duration.ofHours(24);
    /** Saved beside the keys: the secret a rotation replaced, and until when it signs (epoch milliseconds). */
    static final String PREVIOUS_SECRET = "WEBHOOK_SECRET_PREVIOUS";
    static final String PREVIOUS_UNTIL = "WEBHOOK_SECRET_PREVIOUS_UNTIL";
    /** Who made a change read from the store, for the log. */
    static final String ELSEWHERE = "another instance";

    /** The secret a rotation replaced, and when it stops signing. */
    public record PreviousSecret(Secret secret, Instant until) {
    }

    /** The configuration in force and, while a rotation lasts, the secret it replaced. */
    public record InForce(Config config, Optional<PreviousSecret> previousSecret) {
    }

    /**
     * A change: what is in force after it, the engine's settings built from that, the keys whose value changed, who
     * made it and when.
     */
    public record Change(InForce inForce, DeliveryEngine.Live engine, Set<Key> keys, String by, Instant at) {
        public Change {
            keys = Set.copyOf(keys);
        }
    }

    /** The answer to a change or a trial. */
    public sealed interface Outcome {
    }

    /** Accepted: for a change, now in force; for a trial, what would be. */
    public record Accepted(Change change) implements Outcome {
    }

    /** Refused, nothing changed: {@code key} is the key at fault, {@code message} says why as start-up would. */
    public record Refused(Key key, String message) implements Outcome {
    }

    private final Config base;
    private final SettingsStore store;
    private final Function<URI, Optional<String>> selfLoop;
    private final Function<InForce, DeliveryEngine.Live> engineSettings;
    private final InstantSource clock;
    private final Signals signals;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
    private Map<Key, String> saved; // guarded by lock
    /** The settings as last written or read, to tell whether another instance saved since; guarded by lock. */
    private Map<String, String> stored;
    private volatile InForce current;

    private LiveConfig(Config base, SettingsStore store, Function<URI, Optional<String>> selfLoop,
                       Function<InForce, DeliveryEngine.Live> engineSettings, InstantSource clock, Signals signals) {
        this.base = base;
        this.store = store;
        this.selfLoop = selfLoop;
        this.engineSettings = engineSettings;
        this.clock = clock;
        this.signals = signals;
    }

    /**
     * What is in force at start: {@code base} (from {@code .env} and the environment) with what was saved over it.
     * Saved values that no longer pass (the {@code .env} under them changed, say) are set aside with a warning.
     *
     * @param selfLoop       why a webhook URL cannot be used by this service (it leads back here), or empty
     * @param engineSettings builds the delivery engine's settings (the sender, its signing keys) from what is in force
     * @param signals        told of each change saved here, for the other instances sharing the store
     */
    public static LiveConfig open(Config base, SettingsStore store, Function<URI, Optional<String>> selfLoop,
                                  Function<InForce, DeliveryEngine.Live> engineSettings, InstantSource clock,
                                  Signals signals) {
        LiveConfig live = new LiveConfig(base, store, selfLoop, engineSettings, clock, signals);
        Map<String, String> stored = store.all();
        Map<Key, String> saved = liveKeys(stored);
        Optional<PreviousSecret> previous = previousSecret(stored, clock.instant());
        switch (live.revise(saved)) {
            case ConfigLoader.Loaded loaded -> live.current = new InForce(loaded.config(), previous);
            case ConfigLoader.Invalid invalid -> {
                invalid.problems().forEach(problem -> LOG.warn("config.saved_ignored", "⚠️ The configuration saved "
                        + "on the settings page is not used, as it no longer passes: " + problem));
                saved.clear();
                live.current = new InForce(base, previous);
            }
        }
        live.saved = saved;
        live.stored = stored;
        return live;
    }

    private static Map<Key, String> liveKeys(Map<String, String> stored) {
        Map<Key, String> saved = new EnumMap<>(Key.class);
        stored.forEach((name, value) -> {
            if (Key.names().contains(name) && Key.valueOf(name).isLive()) {
                saved.put(Key.valueOf(name), value);
            }
        });
        return saved;
    }

    public InForce current() {
        return current;
    }

    /** The delivery engine's settings for what is in force now. */
    public DeliveryEngine.Live engineSettings() {
        return engineSettings.apply(current);
    }

    /** Tells {@code listener} of every accepted change, in order, before the change returns. */
    public void addListener(Consumer<Change> listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /**
     * Changes the keys given, all or none. A null value drops what was saved for its key, which goes back to its
     * {@code .env} (or default) value; a blank one unsets an optional key.
     *
     * @param by who asks, for the log: the client's address and how it signed in
     */
    public Outcome change(Map<Key, String> changes, String by) {
        Optional<Refused> notLive = notLive(changes.keySet());
        if (notLive.isPresent()) {
            return notLive.get();
        }
        lock.lock();
        try {
            // What another instance saved meanwhile is kept, not overwritten with what this one last knew.
            takeIn(store.all());
            Map<Key, String> next = new EnumMap<>(Key.class);
            next.putAll(saved);
            changes.forEach((key, value) -> {
                if (value == null) {
                    next.remove(key);
                } else {
                    next.put(key, value);
                }
            });
            return switch (revise(next)) {
                case ConfigLoader.Invalid invalid -> refusal(invalid, changes.keySet());
                case ConfigLoader.Loaded loaded -> apply(next, loaded.config(), by);
            };
        } finally {
            lock.unlock();
        }
    }

    /**
     * What would be in force with {@code webhookUrl} as the webhook, checked as a change would be but neither saved
     * nor applied: for a test event to an endpoint before it is saved. Refused for a blank URL too.
     */
    public Outcome trial(String webhookUrl) {
        Map<Key, String> next = new EnumMap<>(Key.class);
        lock.lock();
        try {
            next.putAll(saved);
        } finally {
            lock.unlock();
        }
        next.put(Key.WEBHOOK_URL, webhookUrl == null ? "" : webhookUrl);
        return switch (revise(next)) {
            case ConfigLoader.Invalid invalid -> refusal(invalid, Set.of(Key.WEBHOOK_URL));
            case ConfigLoader.Loaded loaded -> loaded.config().webhookUrl().isEmpty()
                    ? new Refused(Key.WEBHOOK_URL, "WEBHOOK_URL: give the URL to send the test event to")
                    : new Accepted(changeTo(new InForce(loaded.config(), current.previousSecret()),
                    EnumSet.of(Key.WEBHOOK_URL), "trial"));
        };
    }

    /** The sender a trial would use; empty only for a refused trial. */
    public static Optional<WebhookSender> senderOf(Outcome trial) {
        return trial instanceof Accepted accepted ? accepted.change().engine().sender() : Optional.empty();
    }

    // ---- inside

    private static Optional<Refused> notLive(Set<Key> keys) {
        return keys.stream().filter(key -> !key.isLive()).findFirst().map(key -> new Refused(key, key
                + " cannot be changed while the service runs: set it in .env and restart"));
    }

    /** The same checks as at start-up, and the self-loop check made once the port is bound. */
    private ConfigLoader.Result revise(Map<Key, String> next) {
        ConfigLoader.Result result = ConfigLoader.revise(base, next);
        if (result instanceof ConfigLoader.Loaded loaded) {
            Optional<String> loop = loaded.config().webhookUrl().flatMap(selfLoop);
            if (loop.isPresent()) {
                return new ConfigLoader.Invalid(List.of(new ConfigLoader.Problem(Key.WEBHOOK_URL, loop.get())));
            }
        }
        return result;
    }

    /** The first problem about a key that was asked to change, else the first of all (a key they depend on). */
    private static Refused refusal(ConfigLoader.Invalid invalid, Set<Key> asked) {
        ConfigLoader.Problem problem = invalid.found().stream()
                .filter(p -> p.key() != null && asked.contains(p.key())).findFirst()
                .orElse(invalid.found().getFirst());
        return new Refused(problem.key(), problem.message());
    }

    /**
     * Takes in what another instance saved (told by a hint, or found by the periodic check): when the saved settings
     * differ from what this instance last wrote or read, they are checked as at start and applied as a change made
     * here is, listeners told; what does not pass here (this instance's {@code .env} differs) is set aside with a
     * warning. One read of the settings when nothing changed.
     */
    public void refresh() {
        lock.lock();
        try {
            takeIn(store.all());
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. */
    private void takeIn(Map<String, String> now) {
        if (now.equals(stored)) {
            return;
        }
        stored = now;
        Map<Key, String> next = liveKeys(now);
        switch (revise(next)) {
            case ConfigLoader.Loaded loaded -> adopt(next, new InForce(loaded.config(),
                    previousSecret(now, clock.instant())), ELSEWHERE);
            case ConfigLoader.Invalid invalid -> invalid.problems().forEach(problem -> LOG.warn(
                    "config.saved_ignored", "⚠️ The configuration saved by another instance is not used here, "
                            + "as it does not pass with this instance's own settings: " + problem));
        }
    }

    /** Saved first: a change the store could not keep is not made (the store's exception says why). */
    private Outcome apply(Map<Key, String> next, Config config, String by) {
        Optional<PreviousSecret> previous = rotated(current, config);
        Map<String, String> encoded = encode(next, previous);
        store.replace(encoded);
        stored = encoded;
        signals.send(new Signal.ConfigChanged());
        return adopt(next, new InForce(config, previous), by);
    }

    /** Puts {@code next} in force and tells the listeners. */
    private Outcome adopt(Map<Key, String> next, InForce inForce, String by) {
        InForce before = current;
        saved = next;
        current = inForce;
        Change change = changeTo(current, changedKeys(before.config(), inForce.config()), by);
        log(change, before);
        for (Consumer<Change> listener : listeners) {
            try {
                listener.accept(change);
            } catch (RuntimeException e) {
                LOG.error("config.listener_failed", "💥 A configuration listener failed", e);
            }
        }
        return new Accepted(change);
    }

    private Change changeTo(InForce inForce, Set<Key> keys, String by) {
        return new Change(inForce, engineSettings.apply(inForce), keys, by, clock.instant());
    }

    /** A new secret starts a rotation from the one in force; an unchanged one lets a rotation under way go on. */
    private Optional<PreviousSecret> rotated(InForce before, Config next) {
        Optional<Secret> old = before.config().webhookSecret();
        if (secretOf(old).equals(secretOf(next.webhookSecret()))) {
            return before.previousSecret().filter(p -> clock.instant().isBefore(p.until()));
        }
        return old.map(secret -> new PreviousSecret(secret, clock.instant().plus(ROTATION_GRACE)));
    }

    private static Optional<String> secretOf(Optional<Secret> secret) {
        return secret.map(Secret::reveal);
    }

    /** The keys whose value differs; a value saved equal to the one it replaces changes only its source. */
    private static Set<Key> changedKeys(Config before, Config after) {
        Set<Key> keys = EnumSet.noneOf(Key.class);
        for (Key key : Key.values()) {
            boolean changed = switch (key) {
                case WEBHOOK_URL -> !before.webhookUrl().equals(after.webhookUrl());
                case WEBHOOK_SECRET -> !secretOf(before.webhookSecret()).equals(secretOf(after.webhookSecret()));
                default -> !Objects.equals(before.shownValue(key), after.shownValue(key));
            };
            if (changed) {
                keys.add(key);
            }
        }
        return keys;
    }

    private static Map<String, String> encode(Map<Key, String> saved, Optional<PreviousSecret> previous) {
        Map<String, String> stored = new HashMap<>();
        saved.forEach((key, value) -> stored.put(key.name(), value));
        previous.ifPresent(p -> {
            stored.put(PREVIOUS_SECRET, p.secret().reveal());
            stored.put(PREVIOUS_UNTIL, String.valueOf(p.until().toEpochMilli()));
        });
        return stored;
    }

    private static Optional<PreviousSecret> previousSecret(Map<String, String> stored, Instant now) {
        String secret = stored.get(PREVIOUS_SECRET);
        String until = stored.get(PREVIOUS_UNTIL);
        if (secret == null || until == null || !until.matches("\\d{1,18}")) {
            return Optional.empty();
        }
        Instant at = Instant.ofEpochMilli(Long.parseLong(until));
        return now.isBefore(at) ? Optional.of(new PreviousSecret(new Secret(secret), at)) : Optional.empty();
    }

    /** Who, when and what, the values as the settings page shows them: URL masked, secrets never. */
    private static void log(Change change, InForce before) {
        Config after = change.inForce().config();
        List<String> parts = new ArrayList<>();
        for (Key key : Key.values()) {
            if (!change.keys().contains(key)) {
                continue;
            }
            String value = after.shownValue(key);
            parts.add(key + "=" + (value == null ? "(unset)" : value) + " (" + after.sources().get(key).label() + ")");
        }
        String rotation = change.keys().contains(Key.WEBHOOK_SECRET) && before.config().webhookSecret().isPresent()
                ? "; the previous signing secret also signs until " + change.inForce().previousSecret()
                .map(PreviousSecret::until).orElseThrow() : "";
        LOG.info("config.changed", "⚙️ Configuration changed by " + change.by() + " at " + change.at() + ": "
                        + (parts.isEmpty() ? "nothing new" : String.join(", ", parts)) + rotation,
                "by", change.by(),
                "keys", String.join(",", change.keys().stream().map(Key::name).sorted().toList()));
    }
}
