package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.webhook.EngineFixture.MAX_RETRIES;
import static relay.webhook.EngineFixture.RETRY_BASE;

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
import relay.domain.Circuit;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Message;

/** What one message's attempts lead to: delivered, retried on schedule, or failed for good. */
class EngineDeliveryTest extends EngineTestBase {
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
        assertEquals(List.of(new Attempt(message.id(), 1, EngineFixture.T0, 120, 202, null, "accepted")),
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
        assertWithin(EngineFixture.T0, EngineFixture.T0.plus(RETRY_BASE), firstRetry);
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
    void shouldFailA422AtOnceWithoutCountingItAgainstTheCircuit() throws Exception {
        start();
        webhook.enqueue(422, EngineFixture.FAILURE_THRESHOLD + 1);

        List<Message> refused = engine.send(EngineFixture.FAILURE_THRESHOLD + 1);

        refused.forEach(message -> assertTrue(engine.await(message, DeliveryState.FAILED).lastError()
                .startsWith("HTTP 422"), engine.delivery(message).toString()));
        assertEquals(Circuit.State.CLOSED, engine.breaker.snapshot().state());
        assertEquals(0, engine.breaker.snapshot().consecutiveFailures());
        assertEquals(EngineFixture.FAILURE_THRESHOLD + 1, server.getRequestCount());
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
        engine.engine.addListener(events::add);

        Message message = engine.send("hello");

        engine.await(message, DeliveryState.DELIVERED);
        assertEquals(List.of(DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DELIVERED),
                events.stream().map(event -> event.delivery().state()).toList());
        for (DeliveryEvent event : events) {
            assertEquals(message.id(), event.messageId());
            assertEquals(message.phone(), event.phone());
            assertEquals(1 + MAX_RETRIES, event.maxAttempts());
        }
    }

    @Test
    void shouldCompleteAWatchedSendWithTheFirstAttemptsOutcome() throws Exception {
        start();
        webhook.enqueue(new MockResponse.Builder().code(503).body("busy").build());

        AttemptOutcome first = engine.sendAndWatch("one").get(10, TimeUnit.SECONDS);
        AttemptOutcome second = engine.sendAndWatch("two").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.RETRYING, 503, 0L, "HTTP 503: busy"), first);
        assertEquals(new AttemptOutcome(DeliveryState.DELIVERED, 200, 0L, null), second);
    }

    /** Nothing is claimed without a webhook: no event says sending, and the store shows every delivery queued. */
    @Test
    void shouldKeepMessagesQueuedAndClaimNothingWithoutAWebhookUrl() throws Exception {
        engine = new EngineFixture(dataDir).start();
        List<DeliveryEvent> events = new CopyOnWriteArrayList<>();
        engine.engine.addListener(events::add);

        List<Message> messages = engine.send(3);
        engine.advance(Duration.ofDays(1));

        for (Message message : messages) {
            assertEquals(new Delivery(message.id(), DeliveryState.QUEUED, 0, null, null, EngineFixture.T0),
                    engine.delivery(message));
            assertEquals(List.of(), engine.attemptsOf(message));
        }
        assertEquals(List.of(DeliveryState.QUEUED, DeliveryState.QUEUED, DeliveryState.QUEUED),
                events.stream().map(event -> event.delivery().state()).toList());
        assertEquals(0, engine.timers.pending(), "nothing to wake up for");
        assertEquals(new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set"),
                engine.engine.sendTestEvent("evt_1"));
    }

    @Test
    void shouldAnswerAWatchedSendAtOnceWithoutAWebhookUrl() throws Exception {
        engine = new EngineFixture(dataDir).start();

        AttemptOutcome outcome = engine.sendAndWatch("hello").get(10, TimeUnit.SECONDS);

        assertEquals(new AttemptOutcome(DeliveryState.QUEUED, null, null, "WEBHOOK_URL is not set"), outcome);
    }

    /** Moves the clock to just before {@code due} and checks that the webhook still saw only {@code requests}. */
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
