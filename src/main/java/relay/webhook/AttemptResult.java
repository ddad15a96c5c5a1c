package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What one delivery attempt came to: an HTTP response of any status, or no response at all. */
public sealed interface AttemptResult {
    Instant startedAt();

    Duration duration();

    /**
     * The webhook answered.
     *
     * @param headers     response headers by lower-case name
     * @param bodySnippet the first 512 bytes of the body after Content-Encoding is undone, read as UTF-8 (malformed
     *                    sequences replaced, not rejected)
     */
    record Response(Instant startedAt, Duration duration, int statusCode, Map<String, List<String>> headers,
                    String bodySnippet) implements AttemptResult {
        public Response {
            headers = Map.copyOf(headers);
        }
    }

    /**
     * No response: the network or the webhook failed before one arrived.
     *
     * @param error a short sentence for people, e.g. {@code connection refused by 127.0.0.1:9}, with no secret URL parts
     */
    record Failure(Instant startedAt, Duration duration, String error) implements AttemptResult {
    }
}
