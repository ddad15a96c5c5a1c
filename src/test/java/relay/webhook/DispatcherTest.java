package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.webhook.Engine.MAX_RETRIES;
import static relay.webhook.Engine.RETRY_BASE;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.testing.Await;

/** What one message's attempts lead to: delivered, retried on schedule, or failed for good. */
class DispatcherTest extends EngineTest {
    private void start(Duration timeout) throws IOException {
        engine = engineForWebhook().timeout(timeout).start();
    }

    private void start() throws IOException {
        start(Duration.ofSeconds(5));
    }

    @Test
    void shouldDeliverOnTheImmediateAttemptAndRecordIt() throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(202).body("accepted").build());
        webhook.onArrival(() -> engine.clock.advance(Duration.ofMillis(120)));

        Message message = engine.send("hello");

        Delivery delivery = engine.await(message, DeliveryState.DELIVERED);
        assertEquals(1, delivery.attempts());
        assertNull(delivery.lastError());
        assertEquals(List.of(new Attempt(message.id(), 1, Engine.T0, 120, 202, null, "accepted")),
                engine.attemptsOf(message));
        assertEquals(message.id(), server.takeRequest().getHeaders().get("webhook-id"));
        assertEquals(1, server.getRequestCount());
    }

    @Test
    void shouldRetryA500OnScheduleWithExponentialFullJitterUntilDelivered() throws Exception {
        start();
        webhook.enqueue(500, 2);
        Message message = engine.send("hello");

        Instant firstRetry = engine.await(message, DeliveryState.RETRYING, 1).nextAttemptAt();
        assertWithin(Engine.T0, Engine.T0.plus(RETRY_BASE), firstRetry);
        assertNothingSentBefore(firstRetry, 1);
        engine.advanceTo(firstRetry);
        Instant secondRetry = engine.await(message, DeliveryState.RETRYING, 2).nextAttemptAt();
        assertWithin(firstRetry, firstRetry.plus(RETRY_BASE.multipliedBy(2)), secondRetry);
        assertNothingSentBefore(secondRetry, 2);
        engine.advanceTo(secondRetry);

        engine.await(message, DeliveryState.DELIVERED, 3);
        assertEquals(List.of(500, 500, 200), engine.attemptsOf(message).stream().map(Attempt::statusCode).toList());
        assertEquals(List.of(1, 2, 3), engine.attemptsOf(message).stream().map(Attempt::number).toList());
        assertEquals(3, server.getRequestCount());
    }

    @Test
    void shouldFailA400AtOnceWithItsReason() throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(400).body("{\"error\": \"unknown phone\"}").build());

        Message message = engine.send("hello");

        Delivery failed = engine.await(message, DeliveryState.FAILED);
        assertEquals("HTTP 400: {\"error\": \"unknown phone\"}", failed.lastError());
        assertEquals(1, failed.attempts());
        assertNull(failed.nextAttemptAt());
        engine.advance(Duration.ofHours(1));
        assertEquals(1, server.getRequestCount(), "no retry");
    }

    @Test
    void shouldFailARedirectNamingItsMaskedLocation() throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(301)
                .addHeader("Location", "https://hooks.example.com/v2/abcdef123456789").build());

        Message message = engine.send("hello");

        Delivery failed = engine.await(message, DeliveryState.FAILED);
        assertEquals("HTTP 301: redirect to https://hooks.example.com/… not followed", failed.lastError());
        engine.advance(Duration.ofHours(1));
        assertEquals(1, server.getRequestCount(), "neither retried nor followed");
    }

    @Test
    void shouldRetryAnAttemptThatTimesOut() throws Exception {
        start(Duration.ofSeconds(1));
        webhook.enqueue(new MockResponse.Builder().code(200).body("too late")
                .onResponseStart(SocketEffect.Stall.INSTANCE).build());
        Message message = engine.send("hello");

        Delivery retrying = engine.await(message, DeliveryState.RETRYING, 1);
        assertEquals("timed out after 2s", retrying.lastError());
        assertNull(engine.attemptsOf(message).getFirst().statusCode());
        engine.advanceTo(retrying.nextAttemptAt());

        engine.await(message, DeliveryState.DELIVERED, 2);
        assertEquals(2, server.getRequestCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {429, 503})
    void shouldWaitAtLeastRetryAfterBeforeTheNextAttempt(int status) throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(status).addHeader("Retry-After", "3").build());
        Message message = engine.send("hello");

        Delivery retrying = engine.await(message, DeliveryState.RETRYING, 1);
        Instant failedAt = engine.attemptsOf(message).getFirst().startedAt();
        assertFalse(retrying.nextAttemptAt().isBefore(failedAt.plusSeconds(3)), retrying.toString());
        assertNothingSentBefore(retrying.nextAttemptAt(), 1);
        engine.advanceTo(retrying.nextAttemptAt());

        engine.await(message, DeliveryState.DELIVERED, 2);
        assertEquals(2, server.getRequestCount());
    }

    @Test
    void shouldTellListenersQueuedThenSendingThenDelivered() throws Exception {
        start();
        List<DeliveryEvent> events = new CopyOnWriteArrayList<>();
        engine.dispatcher.addListener(events::add);

        Message message = engine.send("hello");

        Await.until("the delivered event", () -> events.stream()
                .anyMatch(event -> event.delivery().state() == DeliveryState.DELIVERED));
        assertEquals(List.of(DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DELIVERED),
                events.stream().map(event -> event.delivery().state()).toList());
        assertTrue(events.stream().allMatch(event -> event.messageId().equals(message.id())
                && event.phone().equals(Engine.PHONE) && event.maxAttempts() == 1 + MAX_RETRIES));
    }

    @Test
    void shouldCompleteAWatchedSubmitWithTheFirstAttemptsOutcome() throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(503).body("busy").build());

        AttemptOutcome first = engine.sendAndWatch("one").get(10, TimeUnit.SECONDS);
        AttemptOutcome second = engine.sendAndWatch("two").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.RETRYING, 503, 0L, "HTTP 503: busy"), first);
        assertEquals(new AttemptOutcome(DeliveryState.DELIVERED, 200, 0L, null), second);
    }

    @Test
    void shouldKeepMessagesQueuedAndAttemptNothingWithoutAWebhookUrl() throws Exception {
        engine = new Engine(dataDir).start();

        List<Message> messages = engine.send(3);
        engine.advance(Duration.ofDays(1));

        for (Message message : messages) {
            assertEquals(new Delivery(message.id(), DeliveryState.QUEUED, 0, null, null, Engine.T0),
                    engine.delivery(message));
            assertEquals(List.of(), engine.attemptsOf(message));
        }
        assertEquals(new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set"),
                engine.dispatcher.sendTestEvent("evt_1"));
        assertEquals(0, server.getRequestCount());
    }

    @Test
    void shouldAnswerAWatchedSubmitAtOnceWithoutAWebhookUrl() throws Exception {
        engine = new Engine(dataDir).start();

        AttemptOutcome outcome = engine.sendAndWatch("hello").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set"), outcome);
    }

    /** Moves the clock {@code due} and checks that the webhook still saw only {@code requests}. */
    private void assertNothingSentBefore(Instant due, int requests) {
        Instant justBefore = due.minusMillis(1);
        if (justBefore.isAfter(engine.clock.instant())) {
            engine.advanceTo(justBefore);
        }
        assertEquals(requests, server.getRequestCount(), "nothing is sent before " + due);
    }

    private static void assertWithin(Instant from, Instant to, Instant actual) {
        assertTrue(!actual.isBefore(from) && !actual.isAfter(to), actual + " is not within " + from + " .. " + to);
    }
}
