package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.domain.Message;
import relay.domain.DeliveryState;
import relay.testing.ManualExecutor;

/**
 * Orders that the dispatcher's tasks may run in under load, replayed one step at a time: its attempts and the writes
 * that hold deliveries run on the test's thread, only when and in the order the test says.
 */
class DispatcherInterleavingTest extends EngineTest {
    private final ManualExecutor steps = new ManualExecutor();

    @BeforeEach
    void start() throws IOException {
        engine = engineForWebhook().concurrency(2).attempts(steps).start();
    }

    @Test
    void shouldKeepADeliveryDeliveredWhenTheWriteThatHeldItRunsLate() {
        webhook.enqueue(410, 1);
        Message gone = engine.send("answered gone");
        steps.runAll();
        Message late = engine.send("held while paused");
        assertEquals(1, steps.pending(), "the write that holds it");

        engine.dispatcher.resetCircuit();
        steps.runNewest();
        assertEquals(DeliveryState.DELIVERED, engine.delivery(late).state());
        steps.runAll();

        assertEquals(DeliveryState.DELIVERED, engine.delivery(late).state());
        assertEquals(DeliveryState.DELIVERED, engine.delivery(gone).state());
        assertEquals(3, server.getRequestCount());
    }
}
