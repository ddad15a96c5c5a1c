package relay.domain;

import java.util.List;

/**
 * Counters over every attempt ever made, for {@code /metrics}.
 *
 * @param messages       messages accepted
 * @param succeeded      attempts answered with 2xx
 * @param httpErrors     attempts answered with another status
 * @param networkErrors  attempts that got no answer (refused, reset, timed out)
 * @param bucketMillis   upper bounds of the duration buckets, ascending
 * @param bucketCounts   attempts that took at most the bound at the same index
 */
public record AttemptMetrics(long messages, long succeeded, long httpErrors, long networkErrors,
                             long totalDurationMillis, List<Long> bucketMillis, List<Long> bucketCounts) {

    public AttemptMetrics {
        bucketMillis = List.copyOf(bucketMillis);
        bucketCounts = List.copyOf(bucketCounts);
    }

    public long attempts() {
        return succeeded + httpErrors + networkErrors;
    }
}
