package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import relay.testing.Webhooks;

/**
 * Every page from a small phone (320 px) to a desktop: nothing wider than the screen, no horizontal scroll. The
 * 375 and 1280 px views are saved as screenshots; run with {@code -Dscreenshots.dir=docs/screenshots} to refresh
 * the README's.
 */
@Tag("browser")
class BrowserLayoutTest extends BrowserTest {
    private static final String ANA = "+5511987650001";
    private static final String LONG_NAME = "Maria Aparecida dos Santos Oliveira Ferreira da Silva";
    private static final String BRUNO = "+5521987650002";
    private static final int PHONE_HEIGHT = 740;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    @Test
    void shouldFitTheChatListTheThreadAndTheSettingsInEveryWidth() throws Exception {
        startRelay(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        var answers = Webhooks.answerOkUnlessScripted(relay.webhook);
        relay.nameContact(ANA, LONG_NAME);
        relay.nameContact(BRUNO, "Bruno");
        relay.sendText(ANA, "Olá! Your order left the warehouse this morning.");
        relay.sendText(ANA, "Tracking: https://example.com/track/" + "0123456789abcdef".repeat(12));
        relay.sendText(BRUNO, "Boleto attached — due Friday.");
        relay.app().await("/chat/webhook-status", status -> status.at("/queue/delivered").asInt() == 3);
        answers.enqueue(new MockResponse.Builder().code(503).build());
        String failed = relay.sendText("+5531987650003", "This one could not be delivered: the webhook answered 503");
        relay.app().awaitStatus(failed, "failed");

        for (int width : new int[] {320, 375, 1280}) {
            if (width < Browser.WIDTH) {
                browser.emulatePhone(width, PHONE_HEIGHT);
            }
            try {
                browser.open(relay.url("/"));
                browser.waitUntilLoaded();
                browser.waitUntil(d -> d.findElements(testId("conversation")).size() == 3);
                assertFits("the chat list", width);
                screenshot("chat-list", width);

                browser.waitUntil(d -> d.findElement(By.cssSelector(
                        "[data-testid='conversation'][data-phone='" + ANA + "']"))).click();
                browser.waitUntil(d -> LONG_NAME.equals(d.findElement(testId("thread-title")).getText()));
                browser.waitUntil(d -> d.findElements(testId("message")).size() == 2);
                assertFits("the thread", width);
                screenshot("chat-thread", width);

                browser.open(relay.url("/settings"));
                browser.waitUntilLoaded();
                browser.waitUntil(d -> !d.findElements(testId("failure-row")).isEmpty()
                        && !d.findElements(testId("config-row")).isEmpty());
                assertFits("the settings", width);
                screenshot("settings", width);
            } finally {
                browser.stopEmulatingPhone();
            }
        }
        browser.assertNoConsoleErrors();
    }

    /** The page does not scroll sideways, and no element shown reaches past the screen's right edge. */
    private void assertFits(String what, int width) {
        assertEquals((long) width, browser.script("return innerWidth"), "the emulated screen");
        long scrollWidth = (Long) browser.script("return document.scrollingElement.scrollWidth");
        assertTrue(scrollWidth <= width, what + " at " + width + " px scrolls sideways: " + scrollWidth);
        assertEquals(List.of(), browser.script("""
                return [...document.querySelectorAll('body *')]
                  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
                  .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
                """), what + " at " + width + " px: nothing is wider than the screen");
    }

    private void screenshot(String page, int width) throws IOException {
        if (width == 375 || width == Browser.WIDTH) {
            browser.screenshot(page + "-" + width + ".png");
        }
    }
}
