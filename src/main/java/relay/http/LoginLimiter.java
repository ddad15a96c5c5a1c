package relay.http;

import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Failed sign-ins per client address: after {@code maxFailures} failures within a minute the client must wait
 * until the oldest of them is a minute old, even if it now has the right token. The table is in memory and bounded:
 * beyond {@link #MAX_CLIENTS} addresses, the one that failed longest ago is forgotten first, and each address keeps
 * at most {@code maxFailures} instants, as epoch milliseconds (8 MB at the largest configurable limit).
 */
final class LoginLimiter {
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_CLIENTS = 1024;

    private final int maxFailures;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    /** Each client's recent failures; the map in order of last failure. Guarded by lock. */
    private final LinkedHashMap<String, Failures> failures = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    LoginLimiter(int maxFailures, InstantSource clock) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures must be at least 1: " + maxFailures);
        }
        this.maxFailures = maxFailures;
        this.clock = clock;
    }

    /** How long {@code client} must wait before trying again; empty when it may try now. */
    Optional<Duration> waitFor(String client) {
        lock.lock();
        try {
            long now = clock.millis();
            Failures recent = recent(client, now);
            if (recent == null || recent.size < maxFailures) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis(recent.oldest() + WINDOW.toMillis() - now));
        } finally {
            lock.unlock();
        }
    }

    void recordFailure(String client) {
        lock.lock();
        try {
            long now = clock.millis();
            Failures recent = recent(client, now);
            if (recent == null) {
                recent = new Failures(maxFailures);
            }
            recent.add(now);
            failures.remove(client);
            failures.put(client, recent);
        } finally {
            lock.unlock();
        }
    }

    int clientCount() {
        lock.lock();
        try {
            return failures.size();
        } finally {
            lock.unlock();
        }
    }

    /** The client's failures still within the window, or null after forgetting a client that has none. */
    private Failures recent(String client, long now) {
        Failures recent = failures.get(client);
        if (recent == null) {
            return null;
        }
        recent.dropUntil(now - WINDOW.toMillis());
        if (recent.size == 0) {
            failures.remove(client);
            return null;
        }
        return recent;
    }

    /** The latest failures of one client, oldest first, in a ring that grows up to {@code max}. */
    private static final class Failures {
        private final int max;
        private long[] millis = new long[1];
        private int first;
        private int size;

        Failures(int max) {
            this.max = max;
        }

        long oldest() {
            return millis[first];
        }

        /** Forgets failures at or before {@code horizon}. */
        void dropUntil(long horizon) {
            while (size > 0 && oldest() <= horizon) {
                first = (first + 1) % millis.length;
                size--;
            }
        }

        /** Adds one, forgetting the oldest when {@code max} are kept already. */
        void add(long at) {
            if (size == max) {
                first = (first + 1) % millis.length;
                size--;
            } else if (size == millis.length) {
                grow();
            }
            millis[(first + size) % millis.length] = at;
            size++;
        }

        private void grow() {
            long[] larger = new long[Math.min(max, millis.length * 2)];
            for (int i = 0; i < size; i++) {
                larger[i] = millis[(first + i) % millis.length];
            }
            millis = larger;
            first = 0;
        }
    }
}
