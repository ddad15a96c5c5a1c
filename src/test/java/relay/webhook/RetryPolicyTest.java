package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import relay.webhook.RetryPolicy.Decision;

class RetryPolicyTest {
    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
    private static final Duration BASE = Duration.ofSeconds(2);
    private static final Duration MAX = Duration.ofSeconds(60);

    /** Always draws the top of the range, so delays are the jitter ceiling. */
    private static final RandomGenerator HIGHEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    /** Always draws zero, so any delay comes from Retry-After. */
    private static final RandomGenerator LOWEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return 0;
        }
    };

    private final RetryPolicy policy = new RetryPolicy(BASE, MAX, HIGHEST);

    @Test
    void shouldCallEvery2xxDelivered() {
        for (int status : new int[] {200, 201, 202, 204, 299}) {
            assertEquals(new Decision.Delivered(), policy.decide(response(status, "", Map.of()), 0, 3, NOW));
        }
    }

    @Test
    void shouldRetryNetworkFailuresWithBackoff() {
        AttemptResult failure = new AttemptResult.Failure(NOW, Duration.ZERO, "connection refused by 127.0.0.1:9");

        assertEquals(new Decision.Retry(NOW.plusSeconds(2), "connection refused by 127.0.0.1:9"),
                policy.decide(failure, 0, 3, NOW));
        assertEquals(new Decision.Retry(NOW.plusSeconds(8), "connection refused by 127.0.0.1:9"),
                policy.decide(failure, 2, 3, NOW));
    }

    @Test
    void shouldRetryTimeoutsThrottlingAndServerErrors() {
        for (int status : new int[] {408, 425, 429, 500, 502, 503, 504, 599}) {
            Decision decision = policy.decide(response(status, "busy", Map.of()), 0, 3, NOW);
            assertEquals(new Decision.Retry(NOW.plusSeconds(2), "HTTP " + status + ": busy"), decision);
        }
    }

    @Test
    void shouldGiveUpWhenRetriesAreUsedUp() {
        Decision decision = policy.decide(response(503, "down for maintenance", Map.of()), 3, 3, NOW);

        assertEquals(new Decision.Failed("gave up after 3 retries: HTTP 503: down for maintenance"), decision);
    }

    @Test
    void shouldGiveUpAtOnceWhenNoRetriesAreAllowed() {
        AttemptResult failure = new AttemptResult.Failure(NOW, Duration.ZERO, "timed out after 5s");

        assertEquals(new Decision.Failed("gave up after 0 retries: timed out after 5s"),
                policy.decide(failure, 0, 0, NOW));
        assertEquals(new Decision.Failed("gave up after 1 retry: timed out after 5s"),
                policy.decide(failure, 1, 1, NOW));
    }

    @Test
    void shouldReportGoneOn410() {
        assertEquals(new Decision.Gone("HTTP 410 Gone: the endpoint was removed"),
                policy.decide(response(410, "bye", Map.of()), 0, 3, NOW));
    }

    @Test
    void shouldFailRedirectsNamingTheMaskedLocation() {
        Map<String, List<String>> headers = Map.of("location",
                List.of("https://other.example.com/hooks/0123456789abcdef?token=secret"));

        Decision decision = policy.decide(response(301, "", headers), 0, 3, NOW);

        assertEquals(new Decision.Failed("HTTP 301: redirect to https://other.example.com/… not followed"),
                decision);
    }

    @Test
    void shouldFailRedirectsWithoutLocation() {
        assertEquals(new Decision.Failed("HTTP 302: redirect without a Location, not followed"),
                policy.decide(response(302, "", Map.of()), 0, 3, NOW));
    }

    @Test
    void shouldFailOtherClientErrorsQuotingTheBodyStart() {
        String body = "{\"error\":\n  \"" + "x".repeat(200) + "\"}";

        Decision decision = policy.decide(response(400, body, Map.of()), 0, 3, NOW);

        String expected = ("HTTP 400: {\"error\": \"" + "x".repeat(200)).substring(0, "HTTP 400: ".length() + 100) + "…";
        assertEquals(new Decision.Failed(expected), decision);
        assertEquals(new Decision.Failed("HTTP 404"), policy.decide(response(404, " ", Map.of()), 0, 3, NOW));
        assertEquals(new Decision.Failed("HTTP 401: bad signature"),
                policy.decide(response(401, "bad signature", Map.of()), 0, 3, NOW));
    }

    @Test
    void shouldHonourRetryAfterSecondsOn429() {
        RetryPolicy zeroJitter = new RetryPolicy(BASE, MAX, LOWEST);

        Decision decision = zeroJitter.decide(response(429, "", Map.of("retry-after", List.of("30"))), 0, 3, NOW);

        assertEquals(new Decision.Retry(NOW.plusSeconds(30), "HTTP 429"), decision);
    }

    @Test
    void shouldHonourRetryAfterHttpDateOn503() {
        RetryPolicy zeroJitter = new RetryPolicy(BASE, MAX, LOWEST);
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(45).atOffset(ZoneOffset.UTC));

        Decision decision = zeroJitter.decide(response(503, "", Map.of("retry-after", List.of(date))), 0, 3, NOW);

        assertEquals("Wed, 1 Jan 2025 12:00:45 GMT", date);
        assertEquals(new Decision.Retry(NOW.plusSeconds(45), "HTTP 503"), decision);
    }

    @Test
    void shouldPreferTheBackoffWhenItIsLongerThanRetryAfter() {
        Decision decision = policy.decide(response(429, "", Map.of("retry-after", List.of("1"))), 2, 3, NOW);

        assertEquals(new Decision.Retry(NOW.plusSeconds(8), "HTTP 429"), decision);
    }

    @Test
    void shouldCapRetryAfterAtTheMaximumDelay() {
        Decision decision = policy.decide(response(503, "", Map.of("retry-after", List.of("86400"))), 0, 3, NOW);

        assertEquals(new Decision.Retry(NOW.plus(MAX), "HTTP 503"), decision);
    }

    @Test
    void shouldIgnoreRetryAfterOnOtherStatusesAndWhenUnreadable() {
        RetryPolicy zeroJitter = new RetryPolicy(BASE, MAX, LOWEST);

        assertEquals(new Decision.Retry(NOW, "HTTP 500"),
                zeroJitter.decide(response(500, "", Map.of("retry-after", List.of("30"))), 0, 3, NOW));
        assertEquals(new Decision.Retry(NOW, "HTTP 429"),
                zeroJitter.decide(response(429, "", Map.of("retry-after", List.of("soon"))), 0, 3, NOW));
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.minusSeconds(5).atOffset(ZoneOffset.UTC));
        assertEquals(new Decision.Retry(NOW, "HTTP 503"),
                zeroJitter.decide(response(503, "", Map.of("retry-after", List.of(past))), 0, 3, NOW));
    }

    @Test
    void shouldDoubleTheJitterCeilingPerRetryUpToTheMaximum() {
        assertEquals(Duration.ofSeconds(2), policy.backoff(1));
        assertEquals(Duration.ofSeconds(4), policy.backoff(2));
        assertEquals(Duration.ofSeconds(32), policy.backoff(5));
        assertEquals(MAX, policy.backoff(6));
        assertEquals(MAX, policy.backoff(Integer.MAX_VALUE));
    }

    @Test
    void shouldDrawBackoffsAcrossTheWholeJitterRange() {
        RetryPolicy seeded = new RetryPolicy(BASE, MAX, new SplittableRandom(42));
        for (int retry = 1; retry <= 10; retry++) {
            long ceiling = Math.min(MAX.toMillis(), BASE.toMillis() << (retry - 1));
            long lowest = Long.MAX_VALUE;
            long highest = Long.MIN_VALUE;
            for (int draw = 0; draw < 2000; draw++) {
                long millis = seeded.backoff(retry).toMillis();
                assertTrue(millis >= 0 && millis <= ceiling, retry + ": " + millis + " outside [0, " + ceiling + "]");
                lowest = Math.min(lowest, millis);
                highest = Math.max(highest, millis);
            }
            assertTrue(lowest < ceiling / 10, "retry " + retry + " never drew near 0: " + lowest);
            assertTrue(highest > ceiling * 9 / 10, "retry " + retry + " never drew near the ceiling: " + highest);
        }
    }

    private static AttemptResult.Response response(int status, String body, Map<String, List<String>> headers) {
        return new AttemptResult.Response(NOW, Duration.ofMillis(20), status, headers, body);
    }
}
