package relay.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Runs {@code n} calls from {@code concurrency} client threads, each call timed on its own. */
final class Load {
    /** Call number {@code i}, made by client thread {@code worker}; throws when the call did not succeed. */
    @FunctionalInterface
    interface Call {
        void run(int worker, int i) throws Exception;
    }

    /** What a run measured; times are {@link System#nanoTime()}. */
    record Result(long[] latencyNanos, long startNanos, long endNanos) {
        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        double perSecond() {
            return latencyNanos.length / seconds();
        }

        /** The {@code q} quantile (0-1) in milliseconds, nearest rank. */
        double percentileMillis(double q) {
            long[] sorted = latencyNanos.clone();
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(q * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
        }

        double maxMillis() {
            return Arrays.stream(latencyNanos).max().orElse(0) / 1e6;
        }
    }

    private Load() {
    }

    /** Platform threads, so a latency is not inflated by waiting for a carrier thread. Fails on the first error. */
    static Result run(int n, int concurrency, Call call) throws InterruptedException {
        long[] latencies = new long[n];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            int worker = t;
            threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                for (int i; (i = next.getAndIncrement()) < n && failure.get() == null; ) {
                    long t0 = System.nanoTime();
                    try {
                        call.run(worker, i);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                    latencies[i] = System.nanoTime() - t0;
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long end = System.nanoTime();
        if (failure.get() != null) {
            throw new IllegalStateException("a call failed: " + failure.get().getMessage(), failure.get());
        }
        return new Result(latencies, start, end);
    }
}
