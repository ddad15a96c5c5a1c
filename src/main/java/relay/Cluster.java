package relay;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import relay.chat.ContactBook;
import relay.chat.LiveConfig;
import relay.http.Api;
import relay.log.EventLog;
import relay.store.Signal;
import relay.store.Signals;
import relay.store.StorageException;
import relay.webhook.CircuitBreaker;
import relay.webhook.DeliveryEngine;

/**
 * This instance following the others that share its store: their hints applied here as this instance's own changes
 * are (pages told, the claim loop nudged, {@code ?wait=true} callers answered, configuration and names reloaded), and
 * the periodic checks that catch up when a hint was missed. Nothing at all on a store one process uses.
 */
final class Cluster implements AutoCloseable {
    private static final EventLog LOG = EventLog.of(Cluster.class);
    /** How often messages whose first attempt someone waits for are read again: it may end on another instance. */
    static final Duration WATCHED_CHECK = Duration.ofSeconds(1);
    /** How often the saved configuration is read again, in case another instance's hint was missed. */
    static final Duration CONFIG_CHECK = Duration.ofSeconds(5);

    private final ScheduledExecutorService timer;

    private Cluster(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static Cluster follow(Signals signals, DeliveryEngine engine, CircuitBreaker breaker, LiveConfig live,
                          ContactBook contacts, Api api) {
        if (!signals.shared()) {
            return new Cluster(null);
        }
        signals.addListener(signal -> {
            switch (signal) {
                case Signal.MessageChanged changed -> engine.changedElsewhere(changed, api.listening());
                case Signal.ConfigChanged config -> live.refresh();
                case Signal.ContactChanged contact -> contacts.refresh(contact.phone());
                case Signal.Resync resync -> each(api::resync, engine::resync, breaker::refresh, live::refresh,
                        contacts::refreshAll);
                case Signal.Circuit circuit -> breaker.refresh();
            }
        });
        // Its own thread: a check waiting on a database that went away must not hold up the engine's timers.
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("cluster-checks").factory());
        every(timer, WATCHED_CHECK, engine::recheckWatched);
        every(timer, CONFIG_CHECK, live::refresh);
        return new Cluster(timer);
    }

    /** Each step whatever the others do: a database just back may fail one read and answer the next. */
    private static void each(Runnable... steps) {
        for (Runnable step : steps) {
            safely(step);
        }
    }

    private static void every(ScheduledExecutorService timer, Duration period, Runnable check) {
        timer.scheduleWithFixedDelay(() -> safely(check), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void safely(Runnable step) {
        try {
            step.run();
        } catch (StorageException e) {
            // The store logged its incident; the periodic checks try again.
        } catch (RuntimeException e) {
            LOG.error("cluster.check_failed", "💥 Catching up with what other instances changed failed", e);
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
