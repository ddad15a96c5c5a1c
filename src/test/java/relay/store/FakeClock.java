package relay.store;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock the test moves by hand; safe to read from the writer thread. */
final class FakeClock implements InstantSource {
    private final AtomicReference<Instant> now;

    FakeClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    Instant advance(Duration by) {
        return now.updateAndGet(instant -> instant.plus(by));
    }
}
