package relay.store;

import java.util.List;
import relay.domain.Conversation;
import relay.domain.Message;

/**
 * Search across conversations and messages, with the meaning {@link SearchText} gives a query. Both answers come in
 * pages, newest first, each continued from a place taken from the page before, which stays valid whatever is stored
 * or deleted meanwhile. A limit below 1 is refused with {@link IllegalArgumentException}.
 */
public interface MessageSearch {

    /**
     * Conversations whose contact name contains the query, or whose phone contains its digits: up to {@code limit}
     * placed after {@code before} in the sidebar's order (or from the newest when null).
     */
    List<Conversation> conversations(SearchText query, int limit, Conversation.Position before);

    /**
     * Messages whose text or file name contains the query, newest first: up to {@code limit} placed after
     * {@code before}, a {@link Hit#position()} of an earlier page (or from the newest when null). Empty when the query
     * does not {@link SearchText#searchesText() search text}.
     */
    List<Hit> messages(SearchText query, int limit, Long before);

    /**
     * A message found.
     *
     * @param position where it stands among the results: larger for messages stored later, never reused
     */
    record Hit(Message message, long position) {
    }
}
