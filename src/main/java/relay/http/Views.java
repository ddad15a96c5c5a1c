package relay.http;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import relay.chat.ContactBook;
import relay.chat.PhoneNumbers;
import relay.chat.Snippets;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Contact;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;
import relay.domain.Turn;
import relay.webhook.CircuitBreaker;
import relay.webhook.DeliveryEvent;

/**
 * The JSON shapes of the API, as records written in snake_case by {@link Json#MAPPER}. Times are ISO-8601 UTC
 * strings, so every client reads them the same way.
 */
final class Views {
    /** The status shown for a delivery that waits for an earlier message of its phone; derived, never stored. */
    static final String WAITING = "waiting";
    /** How much of a message's text a list of failures or of search results shows. */
    static final int SNIPPET_LENGTH = 80;

    private final PhoneNumbers phones;
    private final ContactBook contacts;
    private final ToIntFunction<MessageKind> maxRetries;
    private final InstantSource clock;
    private final Function<String, Optional<Delivery>> heads;

    /** @param heads what the later messages of a phone wait for, as the queue says now */
    Views(PhoneNumbers phones, ContactBook contacts, ToIntFunction<MessageKind> maxRetries, InstantSource clock,
          Function<String, Optional<Delivery>> heads) {
        this.phones = phones;
        this.contacts = contacts;
        this.maxRetries = maxRetries;
        this.clock = clock;
        this.heads = heads;
    }

    record AttachmentView(String id, String kind, String filename, String mimeType, long size, String sha256,
                          String url) {
        static AttachmentView of(Attachment a) {
            return new AttachmentView(a.id(), a.kind().wireName(), a.filename(), a.mimeType(), a.size(), a.sha256(),
                    "/chat/attachments/" + a.id());
        }
    }

    /**
     * @param status     the delivery's state, or {@code waiting} while an earlier message of its phone is unfinished
     * @param waitingFor that earlier message, while waiting; else null
     * @param blocking   a failed message that holds its conversation back until it is resent or skipped (strict)
     */
    record MessageView(String id, String phone, String phoneDisplay, String contactName, long sequence, String kind,
                       String text,
                       String createdAt, AttachmentView attachment, String status, int attempts, int maxAttempts,
                       String nextAttemptAt, String lastError, String updatedAt, WaitingFor waitingFor,
                       boolean blocking) {
    }

    /** The message another waits for, with where its own delivery stands ("retry 2 in 14 s"). */
    record WaitingFor(String id, String status, int attempts, String nextAttemptAt, String lastError) {
        static WaitingFor of(Delivery head) {
            return new WaitingFor(head.messageId(), head.state().wireName(), head.attempts(),
                    iso(head.nextAttemptAt()), head.lastError());
        }
    }

    record AttemptView(int number, String startedAt, long durationMs, Integer statusCode, String error,
                       String responseSnippet) {
        static AttemptView of(Attempt a) {
            return new AttemptView(a.number(), iso(a.startedAt()), a.durationMillis(), a.statusCode(), a.error(),
                    a.responseSnippet());
        }
    }

    record MessageDetail(@JsonUnwrapped MessageView message, List<AttemptView> history) {
    }

    record FirstAttempt(String status, Integer statusCode, Long durationMs, String error) {
        static FirstAttempt of(AttemptOutcome outcome) {
            return new FirstAttempt(outcome.state().wireName(), outcome.statusCode(), outcome.durationMs(),
                    outcome.error());
        }
    }

    record Watched(@JsonUnwrapped MessageView message, FirstAttempt firstAttempt) {
    }

    /**
     * @param revision  larger in a newer copy of the same phone's row
     * @param blockedBy the failed message that holds the conversation back (strict ordering); else null
     */
    record ConversationView(String phone, String phoneDisplay, String contactName, MessageView lastMessage,
                            Map<String, Long> summary, long total, long revision, String blockedBy) {
    }

    /** @param nextBefore what to pass as {@code before} for the next page; null on the last page */
    record ConversationPage(List<ConversationView> conversations, boolean hasMore, String nextBefore) {
    }

    /**
     * The live event of a delivery change: enough to update a bubble without fetching the message, and the
     * sidebar's row of its phone as it stands after the change (null when it could not be read) so the list is
     * updated without fetching it either.
     */
    record DeliveryChange(String id, String phone, String status, int attempts, int maxAttempts, String nextAttemptAt,
                          String lastError, String updatedAt, WaitingFor waitingFor, boolean blocking,
                          ConversationView conversation) {
    }

    /** A phone and its name (null when it has none), as {@code /chat/contacts} and the {@code contact} event show it. */
    record ContactView(String phone, String phoneDisplay, String contactName) {
    }

    /**
     * A failed attempt as the list of failures shows it: the message's phone and name, and its text's start
     * ({@link #SNIPPET_LENGTH} characters) or its file's name.
     */
    record FailureView(String at, String messageId, String phone, String phoneDisplay, String contactName,
                       String kind, String snippet, String filename, int attempt, Integer statusCode, String error) {
    }

    /** @param nextBefore what to pass as {@code before} for the next page; null on the last page */
    record FailurePage(List<FailureView> failures, boolean hasMore, String nextBefore) {
    }

    /** Where the query was found in a snippet, in UTF-16 units as JavaScript counts them. */
    record Highlight(int start, int end) {
    }

    /**
     * A message found by a search: the text around the match (or its start, when the match is in the file name).
     *
     * @param highlight null when the match is not in the snippet
     */
    record MessageHit(String id, String phone, String phoneDisplay, String contactName, String kind,
                      String createdAt, String snippet, Highlight highlight, String filename) {
    }

    /** A page of one kind of search result; {@code nextBefore} continues it, null on its last page. */
    record SearchSection<T>(List<T> items, boolean hasMore, String nextBefore) {
    }

    /**
     * A search's answer: either section is null when the request asked for the other one only.
     *
     * @param textSearched false when the query is too short to search message text: then messages is empty
     */
    record SearchResult(String query, boolean textSearched, SearchSection<ConversationView> conversations,
                        SearchSection<MessageHit> messages) {
    }

    record CircuitView(String state, int consecutiveFailures, int failureThreshold, long openSeconds, String openedAt,
                       String retryAt, Long secondsUntilRetry, String pausedReason) {
    }

    MessageView message(MessageStatus status) {
        return message(status, heads);
    }

    /** One phone's messages, the head of their line read once for all of them. */
    List<MessageView> messages(List<MessageStatus> page) {
        Map<String, Optional<Delivery>> read = new HashMap<>();
        Function<String, Optional<Delivery>> once = phone -> read.computeIfAbsent(phone, heads);
        return page.stream().map(status -> message(status, once)).toList();
    }

    private MessageView message(MessageStatus status, Function<String, Optional<Delivery>> headOf) {
        Message m = status.message();
        Delivery d = status.delivery();
        Turn turn = turn(m.phone(), d, headOf);
        return new MessageView(m.id(), m.phone(), phones.display(m.phone()), contacts.nameOf(m.phone()), m.sequence(),
                m.kind().wireName(),
                m.text(), iso(m.createdAt()), m.attachment() == null ? null : AttachmentView.of(m.attachment()),
                shownStatus(d, turn), d.attempts(), maxAttempts(m.kind()), iso(d.nextAttemptAt()), d.lastError(),
                iso(d.updatedAt()), waitingFor(turn), turn instanceof Turn.Blocking);
    }

    /** Where the delivery stands in its phone's line; the head is read only when it could matter. */
    private static Turn turn(String phone, Delivery delivery, Function<String, Optional<Delivery>> headOf) {
        return Turn.mayDependOnHead(delivery.state()) ? Turn.of(delivery, headOf.apply(phone)) : new Turn.Free();
    }

    private static String shownStatus(Delivery delivery, Turn turn) {
        return turn instanceof Turn.Waiting ? WAITING : delivery.state().wireName();
    }

    private static WaitingFor waitingFor(Turn turn) {
        return turn instanceof Turn.Waiting waiting ? WaitingFor.of(waiting.head()) : null;
    }

    MessageDetail detail(MessageStatus status, List<Attempt> history) {
        return new MessageDetail(message(status), history.stream().map(AttemptView::of).toList());
    }

    ConversationView conversation(Conversation c) {
        Optional<Delivery> head = heads.apply(c.phone());
        String blockedBy = head.filter(delivery -> delivery.state() == DeliveryState.FAILED)
                .map(Delivery::messageId).orElse(null);
        return new ConversationView(c.phone(), phones.display(c.phone()), contacts.nameOf(c.phone()),
                message(c.last(), phone -> head), states(c.summary()), c.total(), c.revision(), blockedBy);
    }

    /** A page of the sidebar; the cursor of the next page is the place of this page's last row. */
    ConversationPage conversations(List<Conversation> page, boolean hasMore) {
        String nextBefore = hasMore ? ConversationCursor.of(page.getLast().position()) : null;
        return new ConversationPage(page.stream().map(this::conversation).toList(), hasMore, nextBefore);
    }

    /** The name of {@code phone} (E.164), or null. */
    String contactName(String phone) {
        return contacts.nameOf(phone);
    }

    ContactView contact(Contact c) {
        return new ContactView(c.phone(), phones.display(c.phone()), c.name());
    }

    FailureView failure(Failure f) {
        Message m = f.message();
        Attempt a = f.attempt();
        return new FailureView(iso(a.startedAt()), m.id(), m.phone(), phones.display(m.phone()),
                contacts.nameOf(m.phone()), m.kind().wireName(), Snippets.start(m.text(), SNIPPET_LENGTH),
                m.attachment() == null ? null : m.attachment().filename(), a.number(), a.statusCode(), a.error());
    }

    /** A page of failures, latest first; the cursor of the next page is the place of this page's last one. */
    FailurePage failures(List<Failure> page, boolean hasMore) {
        String nextBefore = hasMore ? Cursors.of(page.getLast().position()) : null;
        return new FailurePage(page.stream().map(this::failure).toList(), hasMore, nextBefore);
    }

    MessageHit hit(Message m, String query) {
        String filename = m.attachment() == null ? null : m.attachment().filename();
        Snippets.Excerpt excerpt = m.text() == null ? null : Snippets.around(m.text(), query, SNIPPET_LENGTH);
        Highlight highlight = excerpt == null || excerpt.matchStart() < 0 ? null
                : new Highlight(excerpt.matchStart(), excerpt.matchEnd());
        return new MessageHit(m.id(), m.phone(), phones.display(m.phone()), contacts.nameOf(m.phone()),
                m.kind().wireName(), iso(m.createdAt()), excerpt == null ? null : excerpt.text(), highlight, filename);
    }

    DeliveryChange deliveryChange(DeliveryEvent e, Optional<Conversation> row) {
        Delivery d = e.delivery();
        Turn turn = turn(e.phone(), d, heads);
        return new DeliveryChange(e.messageId(), e.phone(), shownStatus(d, turn), d.attempts(), e.maxAttempts(),
                iso(d.nextAttemptAt()), d.lastError(), iso(d.updatedAt()), waitingFor(turn),
                turn instanceof Turn.Blocking, row.map(this::conversation).orElse(null));
    }

    CircuitView circuit(CircuitBreaker.Snapshot s) {
        Long untilRetry = s.retryAt() == null ? null
                : Math.max(0, Duration.between(clock.instant(), s.retryAt()).toSeconds());
        return new CircuitView(s.state().name().toLowerCase(Locale.ROOT), s.consecutiveFailures(),
                s.failureThreshold(), s.openDuration().toSeconds(), iso(s.openedAt()), iso(s.retryAt()), untilRetry,
                s.pausedReason());
    }

    /** The immediate attempt plus the background retries this kind of message is allowed. */
    int maxAttempts(MessageKind kind) {
        return 1 + maxRetries.applyAsInt(kind);
    }

    /**
     * What the queue holds by shown status: each state less the deliveries that wait behind an earlier one of their
     * phone, which are counted as {@code waiting} instead, so that the numbers add up to every delivery.
     */
    static Map<String, Long> queue(Map<DeliveryState, Long> counts, Map<DeliveryState, Long> waiting) {
        Map<DeliveryState, Long> less = new EnumMap<>(DeliveryState.class);
        counts.forEach((state, count) -> less.put(state, count - waiting.getOrDefault(state, 0L)));
        Map<String, Long> shown = states(less);
        shown.put(WAITING, waiting.values().stream().mapToLong(Long::longValue).sum());
        return shown;
    }

    /** Every state by its wire name, in the order of the states. */
    static Map<String, Long> states(Map<DeliveryState, Long> counts) {
        Map<String, Long> named = new LinkedHashMap<>();
        for (DeliveryState state : DeliveryState.values()) {
            named.put(state.wireName(), counts.getOrDefault(state, 0L));
        }
        return named;
    }

    /** Milliseconds are enough for people and match what the store keeps. */
    static String iso(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
