package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * What the API says about each conversation's order: a message behind an unfinished earlier one of its phone is
 * {@code waiting}, with what it waits for, in its own view, its thread, the sidebar, the live events and the queue's
 * counts; under strict ordering a failed head blocks its conversation, says so, and can be skipped.
 */
class DeliveryOrderApiTest {
    private static final String PHONE = "+5511999990001";
    private static final String OTHER = "+5511999990002";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private RunningApp app;

    private RunningApp start(String ordering) throws Exception {
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(), "WEBHOOK_ORDERING",
                ordering, "WEBHOOK_RETRY_MAX_SECONDS", "3600"));
        return app;
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldShowTheMessagesBehindARetriedHeadAsWaitingEverywhere() throws Exception {
        QueueDispatcher responses = Webhooks.answerOkUnlessScripted(webhook);
        responses.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "3600").build());
        start("conversation");
        try (EventStreamTest.Listener events = new EventStreamTest.Listener(app.uri("/chat/events"))) {
            String head = app.sendText(PHONE, "first");
            JsonNode retrying = app.awaitStatus(head, "retrying");
            String second = app.sendText(PHONE, "second");
            String third = app.sendText(PHONE, "third");

            JsonNode waiting = json(app.get("/chat/messages/" + second));
            assertEquals("waiting", waiting.path("status").asText(), waiting.toString());
            assertEquals(head, waiting.path("waiting_for").path("id").asText());
            assertEquals("retrying", waiting.path("waiting_for").path("status").asText());
            assertEquals(1, waiting.path("waiting_for").path("attempts").asInt());
            assertEquals(retrying.path("next_attempt_at").asText(),
                    waiting.path("waiting_for").path("next_attempt_at").asText());
            assertEquals(0, waiting.path("attempts").asInt(), "a waiting message spends no attempt");
            assertFalse(waiting.path("blocking").asBoolean());

            List<String> thread = new ArrayList<>();
            json(app.get("/chat/messages?phone=" + PHONE)).path("messages")
                    .forEach(message -> thread.add(message.path("status").asText()));
            assertEquals(List.of("retrying", "waiting", "waiting"), thread);
            JsonNode row = json(app.get("/chat/conversations?phone=" + PHONE)).path("conversations").get(0);
            assertEquals("waiting", row.path("last_message").path("status").asText());
            assertTrue(row.path("blocked_by").isNull(), "a retried head does not block: " + row);
            JsonNode queue = json(app.get("/chat/webhook-status")).path("queue");
            assertEquals(2, queue.path("waiting").asInt(), queue.toString());
            assertEquals(0, queue.path("queued").asInt(), queue.toString());
            assertEquals(1, queue.path("retrying").asInt(), queue.toString());
            JsonNode event = events.next("message", data -> data.path("id").asText().equals(third));
            assertEquals("waiting", event.path("status").asText(), event.toString());
            assertEquals(head, event.path("waiting_for").path("id").asText());
            assertEquals(1, webhook.getRequestCount(), "only the head was sent");
        }
    }

    @Test
    void shouldFlagAStrictConversationBlockedByAFailedHeadAndReleaseItWhenTheHeadIsSkipped() throws Exception {
        QueueDispatcher responses = Webhooks.answerOkUnlessScripted(webhook);
        responses.enqueue(new MockResponse.Builder().code(422).body("unknown customer").build());
        start("strict");
        String head = app.sendText(PHONE, "first");
        app.awaitStatus(head, "failed");
        String second = app.sendText(PHONE, "second");
        String elsewhere = app.sendText(OTHER, "another conversation");
        app.awaitStatus(elsewhere, "delivered");

        JsonNode blocking = json(app.get("/chat/messages/" + head));
        assertTrue(blocking.path("blocking").asBoolean(), blocking.toString());
        JsonNode row = json(app.get("/chat/conversations?phone=" + PHONE)).path("conversations").get(0);
        assertEquals(head, row.path("blocked_by").asText(), row.toString());
        JsonNode behind = json(app.get("/chat/messages/" + second));
        assertEquals("waiting", behind.path("status").asText());
        assertEquals("failed", behind.path("waiting_for").path("status").asText());
        assertEquals("HTTP 422: unknown customer", behind.path("waiting_for").path("last_error").asText());

        HttpResponse<String> skipped = app.post("/chat/messages/" + head + "/skip");

        assertEquals(200, skipped.statusCode(), skipped.body());
        JsonNode view = json(skipped);
        assertEquals("failed", view.path("status").asText());
        assertEquals("skipped by the operator (HTTP 422: unknown customer)", view.path("last_error").asText());
        assertFalse(view.path("blocking").asBoolean());
        app.awaitStatus(second, "delivered");
        assertTrue(json(app.get("/chat/conversations?phone=" + PHONE)).path("conversations").get(0)
                .path("blocked_by").isNull());
        assertEquals(200, app.post("/chat/messages/" + head + "/skip").statusCode(), "skipped already: as asked");
        assertError(app.post("/chat/messages/" + second + "/skip"), 409, "already_delivered");
        assertError(app.post("/chat/messages/msg_01jq4z8mxb0000000000000000/skip"), 404, "message_not_found");
        assertError(app.post("/chat/messages/not-an-id/skip"), 404, "message_not_found");
        assertEquals(3, webhook.getRequestCount(), "the skipped head was not sent again");
    }

    @Test
    void shouldRefuseToSkipAMessageWhileItIsBeingSent() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        webhook.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                arrived.countDown();
                answer.await(20, TimeUnit.SECONDS);
                return new MockResponse.Builder().code(200).build();
            }
        });
        start("conversation");
        String id = app.sendText(PHONE, "slow");
        assertTrue(arrived.await(20, TimeUnit.SECONDS));

        assertError(app.post("/chat/messages/" + id + "/skip"), 409, "delivery_in_progress");

        answer.countDown();
        app.awaitStatus(id, "delivered");
    }

    @Test
    void shouldSayWhichOrderingIsInForce() throws Exception {
        Webhooks.answerOkUnlessScripted(webhook);
        start("none");

        JsonNode status = json(app.get("/chat/webhook-status"));

        assertEquals("none", status.path("webhook").path("ordering").asText(), status.toString());
        assertFalse(status.path("webhook").path("keep_alive").asBoolean());
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(code, json(response).path("error").path("code").asText(), response.body());
    }
}
