package relay.http;

import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import relay.chat.Ids;
import relay.domain.Conversation;

/**
 * The {@code before} cursor of {@code GET /chat/conversations}: a place in the sidebar's order written out whole
 * (the last message's time and id), so it stays valid whatever happens to the conversation it was taken from.
 * Clients treat it as opaque.
 */
final class ConversationCursor {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,15})\\.(msg_[0-9a-z]{26})");

    private ConversationCursor() {
    }

    static String of(Conversation.Position position) {
        return position.lastCreatedAt().toEpochMilli() + "." + position.lastMessageId();
    }

    static Conversation.Position parse(String cursor) {
        Matcher parts = FORMAT.matcher(cursor);
        if (!parts.matches() || !Ids.isMessageId(parts.group(2))) {
            throw new ApiException(400, "invalid_before", "before must be the next_before of an earlier page",
                    "before");
        }
        return new Conversation.Position(Instant.ofEpochMilli(Long.parseLong(parts.group(1))), parts.group(2));
    }
}
