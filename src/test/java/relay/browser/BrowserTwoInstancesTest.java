package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import relay.testing.Postgres;
import relay.testing.RunningApp;

/** Two instances on one PostgreSQL database, a page open on one of them, messages sent through the other. */
@Tag("browser")
class BrowserTwoInstancesTest extends BrowserTest {
    private static final String PHONE = "11 98765-4321";
    private static final String E164 = "+5511987654321";
    private static final String DISPLAY = "(11) 98765-4321";
    /** The bound for a change made on one instance to show on a page open on another. */
    private static final Duration LIVE = Duration.ofSeconds(1);

    private RunningApp other;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    @AfterEach
    void stopOther() {
        // Leave the page first, or its event stream would retry against the stopped instance and log errors.
        browser.open("about:blank");
        if (other != null) {
            other.close();
        }
    }

    @Test
    void shouldShowOnAPageOfInstanceBAMessageSentThroughInstanceAWithItsDeliveredMarkWithinASecond()
            throws IOException, InterruptedException {
        Postgres.Database database = Postgres.newDatabase();
        startRelay(Map.of("DATABASE_URL", database.url()));
        // Without a webhook instance B never delivers: all its page shows of the message comes from instance A.
        other = RunningApp.start(dir.resolve("b"), Map.of("DATABASE_URL", database.url()));
        ChatPage page = new ChatPage(browser).open(other.uri("/").toString());
        page.startChat(PHONE, DISPLAY);
        relay.answer(200);

        relay.sendText(E164, "sent through instance A");

        page.bubble("sent through instance A", LIVE);
        relay.takeWebhookRequest();
        assertEquals("✓", page.mark(page.waitForStatus("sent through instance A", "delivered", LIVE)));
        browser.assertNoConsoleErrors();
    }
}
