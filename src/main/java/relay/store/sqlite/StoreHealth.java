package relay.store.sqlite;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import relay.log.EventLog;
import relay.store.StorageException;
import relay.store.StorageFault;

/**
 * Whether the store takes writes, as the last write found it. The first failure opens an incident and the next
 * success closes it, each with one log line, so a full disk is logged once rather than once per request. chat.db and
 * the attachment files are followed apart: on a nearly full disk small commits can succeed while uploads fail, and
 * one must not keep closing the other's incident.
 */
final class StoreHealth {
    private static final EventLog LOG = EventLog.of(StoreHealth.class);
    /** A failing store is probed once it has been this long without a failure or a probe. */
    private static final Duration QUIET_BEFORE_PROBE = Duration.ofSeconds(1);

    enum Part {
        DATABASE("chat.db"), FILES("attachments");

        final String label;

        Part(String label) {
            this.label = label;
        }
    }

    private final Map<Part, AtomicReference<StorageFault>> incidents = new EnumMap<>(Part.class);
    private final InstantSource clock;
    /** The last failure or probe: the store is probed only after it has been quiet for a while. */
    private final AtomicReference<Instant> lastActivity = new AtomicReference<>(Instant.MIN);

    StoreHealth(InstantSource clock) {
        this.clock = clock;
        for (Part part : Part.values()) {
            incidents.put(part, new AtomicReference<>());
        }
    }

    /** Records a failure, logging it when it opens an incident or changes its kind; returns what to throw. */
    StorageException failed(Part part, StorageFault fault, Throwable cause) {
        StorageException failure = Faults.exception(fault, part.label, cause);
        lastActivity.set(clock.instant());
        if (incidents.get(part).getAndSet(fault) != fault) {
            LOG.error("store." + fault.wireName(), describe(part, fault) + " (" + Faults.codeOf(cause) + ")",
                    null, "part", part.label, "fault", fault.wireName(), "code", Faults.codeOf(cause));
        }
        return failure;
    }

    /** Records that {@code part} took a write, closing its incident if one was open. */
    void succeeded(Part part) {
        StorageFault was = incidents.get(part).getAndSet(null);
        if (was != null) {
            LOG.info("store.recovered", "✅ " + part.label + " writable again (it was " + was.wireName() + ")",
                    "part", part.label, "was", was.wireName());
        }
    }

    /** The open incident, chat.db's first; empty when the last writes succeeded. */
    Optional<StorageFault> fault() {
        for (Part part : Part.values()) {
            StorageFault fault = incidents.get(part).get();
            if (fault != null) {
                return Optional.of(fault);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a health check should probe the store now: an incident is open, and no failure or probe came in the
     * last second. Clients' failing writes already tell how the store is; the probe is for when they have stopped,
     * and polling /healthz cannot make it run more than once a second. True for one caller at a time.
     */
    boolean claimProbe() {
        if (fault().isEmpty()) {
            return false;
        }
        Instant now = clock.instant();
        Instant last = lastActivity.get();
        return !now.isBefore(last.plus(QUIET_BEFORE_PROBE)) && lastActivity.compareAndSet(last, now);
    }

    private static String describe(Part part, StorageFault fault) {
        return switch (fault) {
            case FULL -> "💾 " + part.label + ": the disk is full; writes are refused with 507 until space is freed";
            case UNWRITABLE -> "🔒 " + part.label + ": DATA_DIR refuses writes (read-only or permissions); writes are "
                    + "refused with 507 until it accepts them";
            case BUSY -> "⏳ " + part.label + ": another connection holds the write lock; writes are refused with 503 "
                    + "until it lets go";
            case UNREACHABLE -> "💥 " + part.label + ": reading or writing failed; requests are refused with 503 until "
                    + "it works again";
            case CORRUPT -> "💥 " + part.label + ": the database reports damage; requests are refused with 503 — stop "
                    + "the service and restore chat.db from a backup";
        };
    }
}
