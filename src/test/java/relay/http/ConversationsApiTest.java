package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.testing.Await;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** {@code GET /chat/conversations}: pages of the sidebar, newest first, and the row each live event carries. */
class ConversationsApiTest {
    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private QueueDispatcher responses;
    private RunningApp app;

    @BeforeEach
    void start() throws Exception {
        responses = Webhooks.answerOkUnlessScripted(webhook);
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_MAX_RETRIES", "0"));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static String phone(int i) {
        return String.format("+551198765%04d", i);
    }

    @Test
    void shouldAnswerFiftyNewestFirstByDefaultWithTheCursorOfTheNextPage() {
        List<String> sent = sendOneEachTo(52);

        JsonNode first = json(app.get("/chat/conversations"));

        assertEquals(50, first.path("conversations").size());
        assertEquals(phone(51), first.path("conversations").get(0).path("phone").asText());
        assertEquals(sent.get(51), first.path("conversations").get(0).path("last_message").path("id").asText());
        assertTrue(first.path("has_more").asBoolean());
        JsonNode rest = json(app.get("/chat/conversations?before=" + first.path("next_before").asText()));
        assertEquals(List.of(phone(1), phone(0)), phonesOf(rest));
        assertFalse(rest.path("has_more").asBoolean());
        assertTrue(rest.path("next_before").isNull());
    }

    @Test
    void shouldWalkEveryConversationOnceWhileOneOfALaterPageMovesToTheTop() {
        sendOneEachTo(7);

        JsonNode first = json(app.get("/chat/conversations?limit=3"));
        send(phone(1), "news");
        List<String> walked = new ArrayList<>(phonesOf(first));
        for (JsonNode page = first; page.path("has_more").asBoolean(); ) {
            page = json(app.get("/chat/conversations?limit=3&before=" + page.path("next_before").asText()));
            walked.addAll(phonesOf(page));
        }

        assertEquals(List.of(phone(6), phone(5), phone(4), phone(3), phone(2), phone(0)), walked,
                "the cursor is a place in the order, not a row: the moved conversation is above it now");
        assertEquals(phone(1), json(app.get("/chat/conversations?limit=1")).path("conversations").get(0)
                .path("phone").asText());
    }

    @Test
    void shouldKeepEachRowsDeliverySummaryAndLastMessage() {
        responses.enqueue(new MockResponse.Builder().code(400).body("no").build());
        String failed = app.sendText(phone(1), "refused");
        app.awaitStatus(failed, "failed");
        String delivered = app.sendText(phone(1), "accepted");
        app.awaitStatus(delivered, "delivered");

        JsonNode row = json(app.get("/chat/conversations")).path("conversations").get(0);

        assertEquals(phone(1), row.path("phone").asText());
        assertEquals("(11) 98765-0001", row.path("phone_display").asText());
        assertEquals(2, row.path("total").asInt());
        assertEquals(1, row.path("summary").path("failed").asInt());
        assertEquals(1, row.path("summary").path("delivered").asInt());
        assertEquals(0, row.path("summary").path("queued").asInt());
        assertEquals(delivered, row.path("last_message").path("id").asText());
        assertEquals("delivered", row.path("last_message").path("status").asText());
        assertTrue(row.path("revision").asLong() > 0);
    }

    @Test
    void shouldAnswerOnePhonesRowWhateverWayTheNumberIsWritten() {
        String id = app.sendText(phone(3), "one");
        sendOneEachTo(2);

        JsonNode one = json(app.get("/chat/conversations?phone=" + encode("(11) 98765-0003")));
        JsonNode none = json(app.get("/chat/conversations?phone=" + encode("+5511912345678")));

        assertEquals(List.of(phone(3)), phonesOf(one));
        assertEquals(id, one.path("conversations").get(0).path("last_message").path("id").asText());
        assertFalse(one.path("has_more").asBoolean());
        assertEquals(List.of(), phonesOf(none));
    }

    @ParameterizedTest
    @CsvSource({
            "limit=0, invalid_limit, limit",
            "limit=201, invalid_limit, limit",
            "limit=-1, invalid_limit, limit",
            "limit=ten, invalid_limit, limit",
            "limit=, invalid_limit, limit",
            "before=msg_01jabcdefghjkmnpqrstvwxyz0, invalid_before, before",
            "before=1733200000000, invalid_before, before",
            "before=x.msg_01jabcdefghjkmnpqrstvwxyz0, invalid_before, before",
            "before=1733200000000.msg_01jabcdefghjkmnpqrstvwxyzl, invalid_before, before",
            "before=1733200000000.msg_01jabcdefghjkmnpqrstvwxyz0%0A, invalid_before, before",
            "phone=12, invalid_phone, phone",
    })
    void shouldRefuseABadQueryWithAFieldError(String query, String code, String field) {
        HttpResponse<String> response = app.get("/chat/conversations?" + query);

        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = json(response).path("error");
        assertEquals(code, error.path("code").asText());
        assertEquals(field, error.path("field").asText());
    }

    @Test
    void shouldAcceptTheLargestPageAndAWellFormedCursorOfNoRow() {
        sendOneEachTo(2);

        assertEquals(2, json(app.get("/chat/conversations?limit=200")).path("conversations").size());
        assertEquals(List.of(), phonesOf(json(app.get(
                "/chat/conversations?before=1.msg_01jabcdefghjkmnpqrstvwxyz0"))));
    }

    @Test
    void shouldCarryTheRowOfItsPhoneInEveryLiveMessageEvent() throws Exception {
        try (EventStreamTest.Listener listener = new EventStreamTest.Listener(app.uri("/chat/events"))) {
            listener.next("circuit", c -> true);
            String earlier = app.sendText(phone(1), "earlier");
            app.awaitStatus(earlier, "delivered");

            String id = app.sendText(phone(1), "live");
            JsonNode queued = listener.next("message", m -> m.path("id").asText().equals(id)
                    && m.path("status").asText().equals("queued"));
            JsonNode delivered = listener.next("message", m -> m.path("id").asText().equals(id)
                    && m.path("status").asText().equals("delivered"));

            JsonNode row = delivered.path("conversation");
            assertEquals(phone(1), row.path("phone").asText());
            assertEquals(id, row.path("last_message").path("id").asText());
            assertEquals("live", row.path("last_message").path("text").asText());
            assertEquals(2, row.path("total").asInt());
            assertEquals(2, row.path("summary").path("delivered").asInt());
            assertEquals(id, queued.path("conversation").path("last_message").path("id").asText());
            assertTrue(row.path("revision").asLong() > queued.path("conversation").path("revision").asLong(),
                    "a later copy of the row has a larger revision");
        }
    }

    private List<String> sendOneEachTo(int phones) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < phones; i++) {
            ids.add(send(phone(i), "hello " + i));
        }
        return ids;
    }

    /**
     * Sends, then lets the clock move on: messages accepted within one millisecond are ordered by their ids, which
     * are random within it, and these tests expect the order they were sent in.
     */
    private String send(String phone, String text) {
        String id = app.sendText(phone, text);
        long sentBy = System.currentTimeMillis();
        Await.until("the next millisecond", () -> System.currentTimeMillis() > sentBy);
        return id;
    }

    private static List<String> phonesOf(JsonNode page) {
        List<String> phones = new ArrayList<>();
        page.path("conversations").forEach(row -> phones.add(row.path("phone").asText()));
        return phones;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
