package relay.webhook;

import java.nio.file.Path;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What every engine test stands on: a real store in a temp folder, and MockWebServer scripted as the webhook. */
abstract class EngineTestBase {
    @StartStop
    public final MockWebServer server = new MockWebServer();

    @TempDir
    Path dataDir;

    final ScriptedWebhook webhook = new ScriptedWebhook();
    EngineFixture engine;

    /** An engine on this test's folder that posts to the scripted webhook; configure it, then start it. */
    EngineFixture engineForWebhook() {
        server.setDispatcher(webhook);
        return new EngineFixture(dataDir).webhook(server.url("/hooks/secret-token-123456").uri())
                .parkedAtWebhook(webhook::heldCount);
    }

    @AfterEach
    void stopEngine() {
        if (engine != null) {
            engine.close();
        }
    }
}
