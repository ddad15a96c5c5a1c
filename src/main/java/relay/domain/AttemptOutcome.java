package relay.domain;

/**
 * How one attempt ended, for callers that wait for it (the API's {@code ?wait=true}, the test event).
 *
 * @param state      the delivery state the attempt led to ({@code held} when the circuit let nothing through,
 *                   {@code queued} when no webhook is configured)
 * @param statusCode the HTTP status, or null when no response arrived
 * @param durationMs how long the attempt took, or null when it was not made
 * @param error      why it did not succeed, or null
 */
public record AttemptOutcome(DeliveryState state, Integer statusCode, Long durationMs, String error) {
}
