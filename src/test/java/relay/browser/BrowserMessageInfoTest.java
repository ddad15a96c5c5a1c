package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/** The message info panel: a bubble's every attempt, its state kept live, and Redeliver from the panel. */
@Tag("browser")
class BrowserMessageInfoTest extends BrowserTest {
    private static final String PHONE = "11 98765-4321";
    private static final String DISPLAY = "(11) 98765-4321";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    private void start(Map<String, String> overrides) throws IOException {
        startRelay(overrides);
        page = new ChatPage(browser);
        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
    }

    @Test
    void shouldShowEveryAttemptOfAMessageThatFailedTwiceThenWasDelivered() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "2"));
        relay.answer(500);
        relay.answer(500);
        relay.answer(200);
        page.sendText("Third time lucky");
        WebElement bubble = page.waitForStatus("Third time lucky", "delivered");

        bubble.findElement(testId("message-text")).click();

        WebElement panel = openPanel();
        browser.waitUntil(d -> attempts(panel).size() == 3);
        assertEquals(List.of("1", "2", "3"), attempts(panel).stream().map(a -> a.getAttribute("data-number")).toList());
        assertEquals(List.of("500", "500", "200"),
                attempts(panel).stream().map(a -> a.getAttribute("data-status")).toList());
        assertTrue(attempts(panel).get(0).getText().contains("HTTP 500"), attempts(panel).get(0).getText());
        assertEquals("delivered", status(panel));
        assertEquals("dialog", panel.getAriaRole());
        assertEquals("Message details", browser.driver().findElement(By.id(panel.getAttribute("aria-labelledby")))
                .getText());
        assertEquals("info-close", active().getAttribute("data-testid"), "focus moves into the panel");

        new Actions(browser.driver()).sendKeys(Keys.ESCAPE).perform();

        browser.waitUntil(d -> !panel.isDisplayed());
        assertEquals(bubble.getAttribute("data-id"), active().getAttribute("data-id"), "focus is back on the bubble");
        for (int attempt = 1; attempt <= 3; attempt++) {
            relay.takeWebhookRequest();
        }
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldRedeliverAFailedMessageFromThePanelOpenedWithTheKeyboard() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.answer(200);
        page.sendText("Good morning");
        WebElement earlier = page.waitForStatus("Good morning", "delivered");
        relay.answer(500);
        page.sendText("Are you there?");
        WebElement bubble = page.waitForStatus("Are you there?", "failed");
        // The thread is one stop of the Tab key: the newest bubble; the arrows move between bubbles.
        assertEquals(List.of(bubble.getAttribute("data-id")), tabStops());
        browser.script("arguments[0].focus()", bubble);
        new Actions(browser.driver()).sendKeys(Keys.ARROW_UP).perform();
        assertEquals(earlier.getAttribute("data-id"), active().getAttribute("data-id"));
        assertEquals(List.of(earlier.getAttribute("data-id")), tabStops());
        new Actions(browser.driver()).sendKeys(Keys.ARROW_DOWN).perform();
        assertEquals(bubble.getAttribute("data-id"), active().getAttribute("data-id"));

        new Actions(browser.driver()).sendKeys(Keys.ENTER).perform();

        WebElement panel = openPanel();
        browser.waitUntil(d -> "failed".equals(status(panel)) && attempts(panel).size() == 1);
        assertTrue(panel.findElement(testId("info-reason")).getText().contains("500"),
                panel.findElement(testId("info-reason")).getText());
        relay.answer(200);
        panel.findElement(testId("info-redeliver")).click();

        browser.waitUntil(d -> "delivered".equals(status(panel)) && attempts(panel).size() == 2);
        assertEquals("200", attempts(panel).get(1).getAttribute("data-status"));
        assertEquals("delivered", page.status(page.bubble("Are you there?")));
        for (int request = 0; request < 3; request++) {
            relay.takeWebhookRequest();
        }
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldFollowTheMessageLiveWhileThePanelIsOpen() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.answer(503);
        page.sendText("Did it arrive?");
        WebElement bubble = page.waitForStatus("Did it arrive?", "failed");
        bubble.findElement(testId("message-text")).click();
        WebElement panel = openPanel();
        browser.waitUntil(d -> "failed".equals(status(panel)) && attempts(panel).size() == 1);

        relay.answer(200);
        // Another client resends it: the open panel hears of it through the event stream alone.
        assertEquals(202, relay.app().post("/chat/messages/" + bubble.getAttribute("data-id") + "/redeliver")
                .statusCode());

        browser.waitUntil(d -> "delivered".equals(status(panel)) && attempts(panel).size() == 2);
        relay.takeWebhookRequest();
        relay.takeWebhookRequest();
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    private WebElement openPanel() {
        return browser.waitUntil(d -> {
            WebElement panel = d.findElement(testId("message-info"));
            return panel.isDisplayed() ? panel : null;
        });
    }

    private static List<WebElement> attempts(WebElement panel) {
        return panel.findElements(testId("info-attempt"));
    }

    private static String status(WebElement panel) {
        List<WebElement> status = panel.findElements(testId("info-status"));
        return status.isEmpty() ? null : status.get(0).getAttribute("data-status");
    }

    @SuppressWarnings("unchecked")
    private List<String> tabStops() {
        return (List<String>) browser.script("return [...document.querySelectorAll("
                + "'[data-testid=\"message\"][tabindex=\"0\"]')].map((b) => b.dataset.id);");
    }

    private WebElement active() {
        return browser.driver().switchTo().activeElement();
    }
}
