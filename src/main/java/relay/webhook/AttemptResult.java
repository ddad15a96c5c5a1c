package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one delivery attempt came to: an HTTP response of any status, no response at all, or no whole request
 * because the message's attachment could not be read.
 */
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

    /**
     * No whole request went out: the message's attachment could not be read from storage (its file or folder gone,
     * an I/O error). Not the webhook's doing, so it never counts for or against the circuit; retried like a network
     * failure, in case the file comes back. Its {@link #error()} names no path, since it is shown everywhere.
     */
    record AttachmentUnavailable(Instant startedAt, Duration duration) implements AttemptResult {
        public static final String ERROR = "attachment unavailable: storage error";

        public String error() {
            return ERROR;
        }
    }
}
