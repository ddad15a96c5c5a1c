package relay.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polling with a deadline, for outcomes that other threads bring about. The deadline only bounds a failing test. */
public final class Await {
    public static final Duration DEADLINE = Duration.ofSeconds(10);

    private Await() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, condition::getAsBoolean, done -> done);
    }

    /** Polls {@code value} until it matches, and returns the value that did. */
    public static <T> T until(String what, Supplier<T> value, Predicate<? super T> matches) {
        return until(what, DEADLINE, value, matches);
    }

    /** As {@link #until(String, Supplier, Predicate)}, for work known to take long on a busy machine. */
    public static <T> T until(String what, Duration within, Supplier<T> value, Predicate<? super T> matches) {
        return until(what, within, Duration.ofMillis(1), value, matches);
    }

    /** As {@link #until(String, Duration, Supplier, Predicate)}, asking only {@code every} so often: for a value
     *  that costs a request to the service under test, which a busy poll would slow down. */
    public static <T> T until(String what, Duration within, Duration every, Supplier<T> value,
                              Predicate<? super T> matches) {
        long deadline = System.nanoTime() + within.toNanos();
        T last = value.get();
        while (!matches.test(last)) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + within.toSeconds() + "s: " + what + " (last seen: " + last + ")");
            }
            LockSupport.parkNanos(every.toNanos());
            last = value.get();
        }
        return last;
    }
}
