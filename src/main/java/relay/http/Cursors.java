package relay.http;

import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import relay.domain.Failure;

/**
 * The {@code before} cursors of {@code GET /chat/failures} and of the message results of {@code GET /chat/search}:
 * a place in the list written out whole, so it stays valid whatever is stored or deleted meanwhile. Clients treat
 * them as opaque. ({@link ConversationCursor} is the sidebar's.)
 */
final class Cursors {
    private static final Pattern FAILURE = Pattern.compile("(\\d{1,15})\\.(\\d{1,18})");
    private static final Pattern HIT = Pattern.compile("\\d{1,18}");

    private Cursors() {
    }

    static String of(Failure.Position position) {
        return position.startedAt().toEpochMilli() + "." + position.recorded();
    }

    static Failure.Position failure(String cursor) {
        Matcher parts = FAILURE.matcher(cursor);
        if (!parts.matches()) {
            throw invalid();
        }
        return new Failure.Position(Instant.ofEpochMilli(Long.parseLong(parts.group(1))),
                Long.parseLong(parts.group(2)));
    }

    static String ofHit(long position) {
        return String.valueOf(position);
    }

    static long hit(String cursor) {
        if (!HIT.matcher(cursor).matches()) {
            throw invalid();
        }
        return Long.parseLong(cursor);
    }

    private static ApiException invalid() {
        return new ApiException(400, "invalid_before", "before must be the next_before of an earlier page",
                "before");
    }
}
