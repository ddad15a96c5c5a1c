package relay.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What every backend's {@link Sessions} promises; a backend's test subclasses this and says how it opens. */
public abstract class SessionsContract extends StoreContract {
    private static final Duration LIFETIME = Duration.ofDays(30);

    /** The sessions of the backend {@link #open} opened last. */
    protected abstract Sessions sessions();

    @Test
    void shouldKeepASessionUntilItExpiresAcrossARestart() throws Exception {
        Instant start = fixture.clock.instant();
        sessions().add("hash-a", start, start.plus(LIFETIME), 10);

        reopen();

        assertTrue(sessions().isActive("hash-a", start.plus(LIFETIME).minusMillis(1)));
        assertFalse(sessions().isActive("hash-a", start.plus(LIFETIME)), "expired");
        assertFalse(sessions().isActive("hash-unknown", start));
    }

    @Test
    void shouldEndTheOldestSessionsBeyondTheLimitTheLaterRecordedFirstWithinAMillisecond() {
        Instant start = fixture.clock.instant();
        Instant expiry = start.plus(LIFETIME);
        sessions().add("first", start, expiry, 2);
        sessions().add("second", start.plusSeconds(1), expiry, 2);
        sessions().add("twin", start.plusSeconds(1), expiry, 2);
        sessions().add("third", start.plusSeconds(1), expiry, 2);

        assertFalse(sessions().isActive("first", start));
        assertFalse(sessions().isActive("second", start), "started in the same millisecond, but recorded earlier");
        assertTrue(sessions().isActive("twin", start));
        assertTrue(sessions().isActive("third", start));
    }

    @Test
    void shouldForgetExpiredSessionsWhenANewOneIsAdded() {
        Instant start = fixture.clock.instant();
        sessions().add("short", start, start.plusSeconds(10), 10);
        Instant later = start.plusSeconds(20);

        sessions().add("next", later, later.plus(LIFETIME), 10);

        assertFalse(sessions().isActive("short", start), "its row is gone, not only refused after expiry");
        assertTrue(sessions().isActive("next", later));
    }

    @Test
    void shouldEndASessionAndRefuseAKeepBelowOne() {
        Instant start = fixture.clock.instant();
        sessions().add("hash-a", start, start.plus(LIFETIME), 10);

        sessions().remove("hash-a");
        sessions().remove("hash-never");

        assertFalse(sessions().isActive("hash-a", start));
        assertThrows(IllegalArgumentException.class, () -> sessions().add("hash-b", start, start.plus(LIFETIME), 0));
    }
}
