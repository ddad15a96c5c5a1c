package relay.domain;

import java.time.Instant;

/**
 * One try at handing a message to the webhook.
 *
 * @param number          counts from 1, and again from 1 after a re-delivery
 * @param statusCode      the webhook's HTTP status, or null when no response arrived
 * @param error           why the attempt failed (timeout, refused, non-2xx…), or null
 * @param responseSnippet the start of the response body, or null
 */
public record Attempt(String messageId, int number, Instant startedAt, long durationMillis, Integer statusCode,
                      String error, String responseSnippet) {

    /** A 2xx answer with nothing else going wrong. */
    public boolean success() {
        return error == null && statusCode != null && statusCode >= 200 && statusCode <= 299;
    }
}
