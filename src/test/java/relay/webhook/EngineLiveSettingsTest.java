package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import relay.domain.Circuit;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.Ordering;

/** Settings changed while the engine runs: the next attempt uses them, an attempt under way ends with its own. */
class EngineLiveSettingsTest extends EngineTestBase {
    @StartStop
    public final MockWebServer otherServer = new MockWebServer();

    private final ScriptedWebhook other = new ScriptedWebhook();
    private final HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5));

    @AfterEach
    void closeClient() {
        client.shutdownNow();
    }

    @Test
    void shouldSendTheNextAttemptToANewUrlWhileOneUnderWayFinishesOnTheOld() throws Exception {
        engine = engineForWebhook().start();
        otherServer.setDispatcher(other);
        webhook.hold();
        Message underWay = engine.send("under way");
        webhook.awaitHeld(1);

        engine.engine.reconfigure(liveTo(otherServer, 2), true);
        Message next = engine.send("next");

        engine.await(next, DeliveryState.DELIVERED);
        assertEquals(List.of(next.id()), other.ids(), "the next attempt went to the new URL");
        assertEquals(List.of(underWay.id()), webhook.ids());
        webhook.releaseAll();
        engine.await(underWay, DeliveryState.DELIVERED);
        assertEquals(List.of(underWay.id()), webhook.ids(), "the attempt under way finished on the old URL");
        assertEquals(List.of(next.id()), other.ids(), "and was not sent again");
    }

    @Test
    void shouldReleaseWhatTheOldEndpointsCircuitHeldWhenTheUrlChanges() throws Exception {
        engine = engineForWebhook().start();
        otherServer.setDispatcher(other);
        webhook.enqueue(500, EngineFixture.FAILURE_THRESHOLD);
        List<Message> failing = engine.send(EngineFixture.FAILURE_THRESHOLD);
        failing.forEach(message -> engine.await(message, DeliveryState.RETRYING, 1));
        Message held = engine.sendAsTheChatDoes("while open");
        assertEquals(DeliveryState.HELD, engine.delivery(held).state());

        engine.engine.reconfigure(liveTo(otherServer, 1), true);

        engine.await(held, DeliveryState.DELIVERED);
        assertEquals(Circuit.State.CLOSED, engine.breaker.snapshot().state());
        assertEquals(List.of(held.id()), other.ids());
    }

    @Test
    void shouldKeepTheEndpointsCircuitWhenOnlyOtherSettingsChange() throws Exception {
        engine = engineForWebhook().start();
        webhook.enqueue(500, EngineFixture.FAILURE_THRESHOLD);
        List<Message> failing = engine.send(EngineFixture.FAILURE_THRESHOLD);
        failing.forEach(message -> engine.await(message, DeliveryState.RETRYING, 1));

        engine.engine.reconfigure(liveTo(server, 4), false);

        assertEquals(Circuit.State.OPEN, engine.breaker.snapshot().state());
    }

    /** The fixture's settings but for the URL and the concurrency. */
    private DeliveryEngine.Live liveTo(MockWebServer target, int concurrency) {
        WebhookSender sender = new WebhookSender(client, target.url("/hooks/new").uri(), "relay-test/1.0",
                Optional.empty(), Duration.ofSeconds(5), 1024, false, engine.clock);
        return new DeliveryEngine.Live(Optional.of(sender), new RetryPolicy(EngineFixture.RETRY_BASE,
                EngineFixture.RETRY_MAX, new Random(7)), kind -> EngineFixture.MAX_RETRIES, Ordering.CONVERSATION,
                concurrency, EngineFixture.FAILURE_THRESHOLD, EngineFixture.OPEN_WINDOW);
    }
}
