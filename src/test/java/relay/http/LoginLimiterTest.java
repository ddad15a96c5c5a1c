package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import relay.testing.FakeClock;

class LoginLimiterTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-27T12:00:00Z"));
    private final LoginLimiter limiter = new LoginLimiter(3, clock);

    @Test
    void shouldLetAClientFailAsOftenAsAllowedThenMakeItWait() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), limiter.waitFor("10.0.0.1"));
            limiter.recordFailure("10.0.0.1");
            clock.advance(Duration.ofSeconds(10));
        }

        assertEquals(Optional.of(Duration.ofSeconds(30)), limiter.waitFor("10.0.0.1"),
                "until the first failure is a minute old");
    }

    @Test
    void shouldLetTheClientTryAgainOnceItsOldestFailureLeftTheWindow() {
        limiter.recordFailure("10.0.0.1");
        clock.advance(Duration.ofSeconds(40));
        limiter.recordFailure("10.0.0.1");
        limiter.recordFailure("10.0.0.1");
        assertTrue(limiter.waitFor("10.0.0.1").isPresent());

        clock.advance(Duration.ofSeconds(20));

        assertEquals(Optional.empty(), limiter.waitFor("10.0.0.1"));
        limiter.recordFailure("10.0.0.1");
        assertEquals(Optional.of(Duration.ofSeconds(40)), limiter.waitFor("10.0.0.1"),
                "three failures within the last minute again");
    }

    @Test
    void shouldRememberOnlyTheLatestFailuresAsTheyWrapAround() {
        for (int i = 0; i < 7; i++) {
            limiter.recordFailure("10.0.0.1");
            clock.advance(Duration.ofSeconds(10));
        }

        assertEquals(Optional.of(Duration.ofSeconds(30)), limiter.waitFor("10.0.0.1"),
                "failures at 40, 50 and 60 s are kept; now 70 s, the one at 40 s leaves the window at 100 s");
    }

    @Test
    void shouldCountEachClientAlone() {
        for (int i = 0; i < 3; i++) {
            limiter.recordFailure("10.0.0.1");
        }

        assertTrue(limiter.waitFor("10.0.0.1").isPresent());
        assertEquals(Optional.empty(), limiter.waitFor("10.0.0.2"));
    }

    @Test
    void shouldForgetAClientOnceItsFailuresAreOld() {
        limiter.recordFailure("10.0.0.1");
        clock.advance(LoginLimiter.WINDOW);

        assertEquals(Optional.empty(), limiter.waitFor("10.0.0.1"));
        assertEquals(0, limiter.clientCount());
    }

    @Test
    void shouldKeepABoundedTableForgettingTheClientThatFailedLongestAgo() {
        for (int i = 0; i < 3; i++) {
            limiter.recordFailure("first");
        }
        for (int i = 0; i < LoginLimiter.MAX_CLIENTS; i++) {
            limiter.recordFailure("client-" + i);
        }

        assertEquals(LoginLimiter.MAX_CLIENTS, limiter.clientCount());
        assertEquals(Optional.empty(), limiter.waitFor("first"), "evicted to bound the memory");
    }

    @Test
    void shouldKeepAClientThatKeepsFailing() {
        for (int i = 0; i < LoginLimiter.MAX_CLIENTS; i++) {
            limiter.recordFailure("client-" + i);
            if (i % 100 == 0) {
                limiter.recordFailure("persistent");
            }
        }
        limiter.recordFailure("persistent");

        assertTrue(limiter.waitFor("persistent").isPresent());
    }
}
