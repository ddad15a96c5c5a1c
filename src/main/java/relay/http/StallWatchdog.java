package relay.http;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import relay.log.EventLog;

/**
 * Drops the connections of clients that stall, so slow clients cannot pile up threads and buffers until memory runs
 * out. Each exchange task runs on its own thread, registered here for the task's whole run:
 * <ul>
 *   <li>until our filter runs, the JDK server is reading the request line and headers on that thread, which must
 *       be over within {@code headerTimeout};</li>
 *   <li>then only a read or write that is blocked counts: one that moves no byte for {@code bodyIdleTimeout} is
 *       dropped. The limit is per idle period, so a slow but steady upload passes, and a handler that merely waits
 *       (a long poll, an event stream between heartbeats) is left alone.</li>
 * </ul>
 * Dropping is interrupting the thread: a virtual thread blocked on a socket channel has the channel closed under it,
 * the one way to end the JDK server's blocking reads and writes from outside. Nothing here reads the clock on its
 * own: {@link #sweep()} is called by a timer, or by a test after moving its clock.
 */
final class StallWatchdog {
    private static final EventLog LOG = EventLog.of(StallWatchdog.class);

    /** What a dropped client was too slow at. */
    enum Stall { HEADERS, BODY }

    private record Deadline(Stall stall, long atMillis) {
    }

    /** A read or write of the socket; closing an exchange declares no exception, hence {@code E}. */
    @FunctionalInterface
    interface IoCall<T, E extends Exception> {
        T run() throws E;
    }

    private final Duration headerTimeout;
    private final Duration bodyIdleTimeout;
    private final InstantSource clock;
    private final Map<Thread, Watch> watches = new ConcurrentHashMap<>();

    StallWatchdog(Duration headerTimeout, Duration bodyIdleTimeout, InstantSource clock) {
        if (headerTimeout.isNegative() || headerTimeout.isZero() || bodyIdleTimeout.isNegative()
                || bodyIdleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: " + headerTimeout + ", " + bodyIdleTimeout);
        }
        this.headerTimeout = headerTimeout;
        this.bodyIdleTimeout = bodyIdleTimeout;
        this.clock = clock;
    }

    /** Runs one exchange task of the JDK server on the current thread, watched from its first byte read. */
    void run(Runnable task) {
        Thread thread = Thread.currentThread();
        watches.put(thread, new Watch(thread, new Deadline(Stall.HEADERS, clock.millis() + headerTimeout.toMillis())));
        try {
            task.run();
        } finally {
            watches.remove(thread);
        }
    }

    /** The filter that ends the header phase and hands the handler an exchange whose reads and writes are timed. */
    Filter filter() {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                Watch watch = watches.get(Thread.currentThread());
                watch.headersRead();
                WatchedExchange watched = new WatchedExchange(exchange, watch);
                try {
                    chain.doFilter(watched);
                } finally {
                    watched.close();
                }
                if (!watched.completed()) {
                    // The JDK server releases a connection whose response never finished (the client went away, or
                    // was dropped here) only when the exchange task fails; without this, each such connection would
                    // count against MAX_CONNECTIONS until restart.
                    throw new IOException("the response did not complete; the connection is closed");
                }
            }

            @Override
            public String description() {
                return "drops clients that stall sending headers or moving a body";
            }
        };
    }

    /** Drops every exchange overdue now; returns how many of each kind were dropped. */
    Map<Stall, Integer> sweep() {
        long now = clock.millis();
        Map<Stall, Integer> dropped = new EnumMap<>(Stall.class);
        for (Watch watch : watches.values()) {
            Stall stall = watch.dropIfOverdue(now);
            if (stall != null) {
                dropped.merge(stall, 1, Integer::sum);
            }
        }
        if (!dropped.isEmpty()) {
            int headers = dropped.getOrDefault(Stall.HEADERS, 0);
            int bodies = dropped.getOrDefault(Stall.BODY, 0);
            LOG.warn("http.stalled_dropped", "🐌 Dropped " + (headers + bodies) + " connection(s) of clients that "
                    + "stalled: " + headers + " sending headers for " + headerTimeout.toSeconds() + " s, " + bodies
                    + " moving no body byte for " + bodyIdleTimeout.toSeconds() + " s",
                    "headers", headers, "bodies", bodies);
        }
        return dropped;
    }

    /** How many exchanges are now waiting on their client for {@code stall}: for tests, to act at the right moment. */
    int waitingFor(Stall stall) {
        return (int) watches.values().stream().filter(watch -> watch.waitingFor(stall)).count();
    }

    /**
     * One exchange task's thread and what it waits for. Only that thread moves its deadline, and dropping happens
     * under the same lock the thread takes to clear or leave a deadline, so an interrupt can only hit the thread while
     * it is still reading headers or inside a read or write — never in the middle of handler work after it.
     */
    final class Watch {
        private final Thread thread;
        private final ReentrantLock lock = new ReentrantLock();
        private volatile Deadline deadline;
        private boolean dropped; // guarded by lock

        private Watch(Thread thread, Deadline deadline) {
            this.thread = thread;
            this.deadline = deadline;
        }

        private void headersRead() {
            lock.lock();
            try {
                deadline = null;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Runs one read or write of a body under the body deadline. When it returns, bytes moved, so an enclosing
         * one (closing the exchange writes the rest of the response) starts a new idle period.
         */
        <T, E extends Exception> T io(IoCall<T, E> call) throws E {
            Deadline outer = deadline;
            deadline = bodyDeadline();
            try {
                return call.run();
            } finally {
                lock.lock();
                try {
                    deadline = outer == null ? null : bodyDeadline();
                } finally {
                    lock.unlock();
                }
            }
        }

        private Deadline bodyDeadline() {
            return new Deadline(Stall.BODY, clock.millis() + bodyIdleTimeout.toMillis());
        }

        private Stall dropIfOverdue(long now) {
            lock.lock();
            try {
                Deadline current = deadline;
                if (dropped || current == null || now < current.atMillis()) {
                    return null;
                }
                dropped = true;
                thread.interrupt();
                return current.stall();
            } finally {
                lock.unlock();
            }
        }

        private boolean waitingFor(Stall stall) {
            Deadline current = deadline;
            return current != null && current.stall() == stall;
        }
    }
}
