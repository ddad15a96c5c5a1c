package relay.domain;

import java.time.Instant;

/**
 * A failed attempt with the message it was for, as the operator's list of failures shows it.
 *
 * @param position where it stands in that list, which shows the latest first
 */
public record Failure(Attempt attempt, Message message, Position position) {

    /**
     * A place in the list of failures: by the attempt's start, then by the order attempts were recorded in; later
     * places come first.
     *
     * @param recorded grows with every attempt recorded
     */
    public record Position(Instant startedAt, long recorded) {
    }
}
