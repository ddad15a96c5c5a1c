package relay.domain;

import java.time.Instant;

/**
 * Totals over every attempt ever made.
 *
 * @param lastSuccessAt null when no attempt has succeeded yet
 * @param lastFailureAt null when no attempt has failed yet
 */
public record AttemptStats(long attempts, long succeeded, long failed, Instant lastSuccessAt, Instant lastFailureAt) {
}
