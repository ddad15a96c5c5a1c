package relay.http;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import relay.domain.Conversation;
import relay.store.MessageSearch;
import relay.store.SearchText;

/**
 * {@code GET /chat/search?q=…}: conversations whose contact name or phone matches, and messages whose text or file
 * name does, each newest first and paged on its own. Without {@code in} both first pages are answered; the next page
 * of one is asked with {@code in=conversations} or {@code in=messages} and that section's {@code next_before}.
 */
final class SearchRoutes {
    /** Long enough for any phrase worth looking for; it bounds what a query costs the index. */
    static final int MAX_QUERY_LENGTH = 200;

    private final MessageSearch search;
    private final Views views;

    /** Which results a request asks for. */
    private enum Section {
        BOTH, CONVERSATIONS, MESSAGES;

        static Section of(Optional<String> in) {
            if (in.isEmpty()) {
                return BOTH;
            }
            return switch (in.get().toLowerCase(Locale.ROOT)) {
                case "conversations" -> CONVERSATIONS;
                case "messages" -> MESSAGES;
                default -> throw new ApiException(400, "invalid_query", "in must be conversations or messages", "in");
            };
        }
    }

    SearchRoutes(MessageSearch search, Views views) {
        this.search = search;
        this.views = views;
    }

    Router register(Router router) {
        return router.get("/chat/search", this::search);
    }

    private void search(Request request) throws IOException {
        SearchText query = query(request.query("q").orElse(""));
        int limit = ChatRoutes.limit(request);
        Section section = Section.of(request.query("in"));
        Optional<String> before = request.query("before");
        if (before.isPresent() && section == Section.BOTH) {
            throw new ApiException(400, "invalid_before", "before continues one kind of result: send in=conversations"
                    + " or in=messages with it", "before");
        }
        request.respondJson(200, new Views.SearchResult(query.text(), query.searchesText(),
                section == Section.MESSAGES ? null : conversations(query, limit, before),
                section == Section.CONVERSATIONS ? null : messages(query, limit, before)));
    }

    private static SearchText query(String q) {
        String text = q.strip();
        int length = text.codePointCount(0, text.length());
        if (length == 0 || length > MAX_QUERY_LENGTH) {
            throw new ApiException(400, "invalid_query", "q must have 1 to " + MAX_QUERY_LENGTH
                    + " characters besides the spaces around them", "q");
        }
        return SearchText.of(text);
    }

    private Views.SearchSection<Views.ConversationView> conversations(SearchText query, int limit,
                                                                     Optional<String> before) {
        Conversation.Position after = before.map(ConversationCursor::parse).orElse(null);
        List<Conversation> page = search.conversations(query, limit + 1, after);
        boolean hasMore = page.size() > limit;
        List<Conversation> shown = hasMore ? page.subList(0, limit) : page;
        return new Views.SearchSection<>(shown.stream().map(views::conversation).toList(), hasMore,
                hasMore ? ConversationCursor.of(shown.getLast().position()) : null);
    }

    private Views.SearchSection<Views.MessageHit> messages(SearchText query, int limit, Optional<String> before) {
        Long after = before.map(Cursors::hit).orElse(null);
        List<MessageSearch.Hit> page = search.messages(query, limit + 1, after);
        boolean hasMore = page.size() > limit;
        List<MessageSearch.Hit> shown = hasMore ? page.subList(0, limit) : page;
        return new Views.SearchSection<>(shown.stream().map(hit -> views.hit(hit.message(), query.text())).toList(),
                hasMore, hasMore ? Cursors.ofHit(shown.getLast().position()) : null);
    }
}
