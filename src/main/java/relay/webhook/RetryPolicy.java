package relay.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import relay.config.Masking;

/**
 * Decides what follows an attempt: delivered, retry later (exponential backoff with full jitter, honouring
 * Retry-After), failed for good, or gone (410, which pauses delivery).
 */
public final class RetryPolicy {
    private static final int SNIPPET_IN_REASON = 100;

    /** What to do with a message after an attempt. */
    public sealed interface Decision {
        record Delivered() implements Decision {
        }

        record Retry(Instant at, String reason) implements Decision {
        }

        record Failed(String reason) implements Decision {
        }

        record Gone(String reason) implements Decision {
        }
    }

    private final Duration base;
    private final Duration max;
    private final RandomGenerator random;

    public RetryPolicy(Duration base, Duration max, RandomGenerator random) {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 < base <= max");
        }
        this.base = base;
        this.max = max;
        this.random = Objects.requireNonNull(random);
    }

    /**
     * @param retriesUsed background retries already made (0 after the immediate attempt)
     * @param maxRetries  background retries allowed for this message
     */
    public Decision decide(AttemptResult result, int retriesUsed, int maxRetries, Instant now) {
        return switch (result) {
            case AttemptResult.Failure failure -> retryOrGiveUp(failure.error(), Duration.ZERO, retriesUsed,
                    maxRetries, now);
            // The file may come back (a folder restored, a disk remounted): retried with backoff like a network
            // failure, and failed after the last retry so that the operator sees it and can resend.
            case AttemptResult.AttachmentUnavailable unavailable -> retryOrGiveUp(unavailable.error(), Duration.ZERO,
                    retriesUsed, maxRetries, now);
            case AttemptResult.Response response -> decide(response, retriesUsed, maxRetries, now);
        };
    }

    private Decision decide(AttemptResult.Response response, int retriesUsed, int maxRetries, Instant now) {
        int status = response.statusCode();
        if (status >= 200 && status <= 299) {
            return new Decision.Delivered();
        }
        if (status == 410) {
            return new Decision.Gone("HTTP 410 Gone: the endpoint was removed");
        }
        if (isRetryableStatus(status)) {
            Duration retryAfter = status == 429 || status == 503 ? retryAfter(response, now) : Duration.ZERO;
            return retryOrGiveUp(describe(response), retryAfter, retriesUsed, maxRetries, now);
        }
        if (status >= 300 && status <= 399) {
            return new Decision.Failed(redirect(response));
        }
        return new Decision.Failed(describe(response));
    }

    /**
     * Whether the attempt failed in a way worth trying again — and so, for the circuit, a sign the endpoint is
     * unwell: no answer at all, 408, 425, 429 or 5xx. Other answers mean the endpoint is up. (An attachment that could
     * not be read is worth trying again too, but says nothing about the endpoint; the circuit ignores it.)
     */
    public boolean isRetryable(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Failure failure -> true;
            case AttemptResult.AttachmentUnavailable unavailable -> true;
            case AttemptResult.Response response -> isRetryableStatus(response.statusCode());
        };
    }

    private static boolean isRetryableStatus(int status) {
        return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
    }

    /**
     * The delay before retry number {@code retryNumber} (1 for the first): uniform in
     * {@code [0, min(max, base * 2^(retryNumber-1))]}, so clients that failed together do not retry together.
     */
    public Duration backoff(int retryNumber) {
        if (retryNumber < 1) {
            throw new IllegalArgumentException("retryNumber starts at 1");
        }
        long maxMillis = max.toMillis();
        long ceiling = base.toMillis();
        for (int i = 1; i < retryNumber && ceiling < maxMillis; i++) {
            ceiling *= 2;
        }
        return Duration.ofMillis(random.nextLong(Math.min(ceiling, maxMillis) + 1));
    }

    private Decision retryOrGiveUp(String reason, Duration retryAfter, int retriesUsed, int maxRetries,
                                   Instant now) {
        if (retriesUsed >= maxRetries) {
            return new Decision.Failed("gave up after " + retriesUsed + (retriesUsed == 1 ? " retry: " : " retries: ")
                    + reason);
        }
        Duration delay = backoff(retriesUsed + 1);
        if (retryAfter.compareTo(delay) > 0) {
            delay = retryAfter.compareTo(max) > 0 ? max : retryAfter;
        }
        return new Decision.Retry(now.plus(delay), reason);
    }

    /** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3); zero when absent or unreadable. */
    static Duration retryAfter(AttemptResult.Response response, Instant now) {
        String value = first(response, "retry-after").map(String::strip).orElse("");
        if (value.matches("\\d{1,18}")) {
            return Duration.ofSeconds(Long.parseLong(value));
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
        } catch (DateTimeParseException e) {
            return Duration.ZERO;
        }
    }

    private static String redirect(AttemptResult.Response response) {
        return first(response, "location")
                .map(location -> "HTTP " + response.statusCode() + ": redirect to " + maskLocation(location)
                        + " not followed")
                .orElse("HTTP " + response.statusCode() + ": redirect without a Location, not followed");
    }

    private static String maskLocation(String location) {
        try {
            URI uri = new URI(location.strip());
            return uri.isAbsolute() ? Masking.maskUrl(uri) : "a relative address";
        } catch (URISyntaxException e) {
            return "an invalid address";
        }
    }

    /** {@code HTTP 400: <the start of the body on one line>}, or just the status when the body is blank. */
    static String describe(AttemptResult.Response response) {
        String text = response.bodySnippet() == null ? "" : response.bodySnippet().replaceAll("\\s+", " ").strip();
        if (text.length() > SNIPPET_IN_REASON) {
            int end = Character.isHighSurrogate(text.charAt(SNIPPET_IN_REASON - 1))
                    ? SNIPPET_IN_REASON - 1 : SNIPPET_IN_REASON;
            text = text.substring(0, end) + "…";
        }
        return "HTTP " + response.statusCode() + (text.isEmpty() ? "" : ": " + text);
    }

    private static Optional<String> first(AttemptResult.Response response, String header) {
        List<String> values = response.headers().get(header);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }
}
