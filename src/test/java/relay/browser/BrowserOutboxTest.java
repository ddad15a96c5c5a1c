package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;
import relay.testing.Forms;
import relay.testing.Webhooks;

/** Messages written while the server cannot be reached, and files still on their way when the page is left. */
@Tag("browser")
class BrowserOutboxTest extends BrowserTest {
    private static final String E164 = "+5511987654321";
    private static final String DISPLAY = "(11) 98765-4321";
    private static final String WAITING = "waiting for connection";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    /** The app with a webhook that accepts everything, and the page open on one conversation. */
    private void startWithChatOpen() throws IOException {
        startRelay(Map.of());
        Webhooks.answerOkUnlessScripted(relay.webhook);
        page = new ChatPage(browser);
        page.open(relay.url("/#phone=" + E164));
        browser.waitUntil(d -> DISPLAY.equals(d.findElement(testId("thread-title")).getText()));
    }

    @Test
    void shouldSendWhatWasWrittenWhileTheServerWasDownInOrderOnceItIsBack() throws Exception {
        startWithChatOpen();
        relay.stopApp();
        List<String> texts = List.of("first while down", "second while down", "third while down");

        for (String text : texts) {
            page.sendText(text);
        }

        for (String text : texts) {
            WebElement bubble = page.waitForStatus(text, "offline");
            assertEquals(WAITING, bubble.findElement(testId("outbox-info")).getText());
        }
        assertEquals(texts, page.bubbleLabels());
        browser.waitUntil(d -> d.findElement(testId("offline-banner")).isDisplayed());
        relay.startAgain();

        for (String text : texts) {
            page.waitForStatus(text, "delivered");
        }
        assertEquals(texts, page.bubbleLabels());
        for (String text : texts) {
            assertEquals(text, RunningRelay.data(relay.takeWebhookRequest()).get("text").asText());
        }
        relay.assertNoMoreWebhookRequests();
        assertOnlyRefusedConnections();
    }

    /** A network error during an upload means "offline", never "the file may be too large": the file goes once back. */
    @Test
    void shouldUploadAFileAgainOnceTheServerIsBack() throws Exception {
        startWithChatOpen();
        byte[] pdf = BrowserChatTest.pdf(200_000);
        Path file = Files.write(dir.resolve("offline-report.pdf"), pdf);
        relay.stopApp();

        page.attach(file);
        page.pressSend();

        WebElement bubble = page.waitForStatus("offline-report.pdf", "offline");
        assertEquals(WAITING, bubble.findElement(testId("outbox-info")).getText());
        assertTrue(bubble.findElements(testId("message-error")).isEmpty(), "no error, only waiting");
        relay.startAgain();
        page.waitForStatus("offline-report.pdf", "delivered");
        JsonNode sent = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals(Forms.sha256(pdf), sent.at("/attachment/sha256").asText());
        relay.assertNoMoreWebhookRequests();
        assertOnlyRefusedConnections();
    }

    /** Texts waiting for the connection are kept by the browser, so a reload sends them, once each, in order. */
    @Test
    void shouldKeepWaitingTextsAcrossAReload() throws Exception {
        startWithChatOpen();
        // The server stays up (the page must load again) but the page's posts of messages fail as unreachable.
        browser.script("""
                const original = window.fetch;
                window.fetch = (input, init) => init?.method === 'POST' && String(input) === '/chat/messages'
                  ? Promise.reject(new TypeError('Failed to fetch')) : original(input, init);
                """);
        page.sendText("kept one");
        page.sendText("kept two");
        page.waitForStatus("kept one", "offline");
        page.waitForStatus("kept two", "offline");
        relay.assertNoMoreWebhookRequests();

        browser.driver().navigate().refresh();
        browser.waitUntilLoaded();

        page.waitForStatus("kept one", "delivered");
        page.waitForStatus("kept two", "delivered");
        assertEquals(List.of("kept one", "kept two"), page.bubbleLabels());
        assertEquals("kept one", RunningRelay.data(relay.takeWebhookRequest()).get("text").asText());
        assertEquals("kept two", RunningRelay.data(relay.takeWebhookRequest()).get("text").asText());
        relay.assertNoMoreWebhookRequests();
        browser.waitUntil(d -> (Boolean) browser.script(
                "return !Object.keys(localStorage).some((k) => k.startsWith('relay.outbox.'));"));
        browser.assertNoConsoleErrors();
    }

    /** Leaving while a file uploads would lose it: the page asks first, and only then. */
    @Test
    void shouldAskBeforeLeavingWhileAFileIsUploading() throws Exception {
        startWithChatOpen();
        byte[] big = BrowserChatTest.pdf(50 * 1024 * 1024);
        Path file = Files.write(dir.resolve("big-scan.pdf"), big);
        List<String> dialogs = browser.recordDialogs();
        page.sendText("nothing to lose");
        page.waitForStatus("nothing to lose", "delivered");
        assertFalse(leavingIsQuestioned(), "no question while nothing is on its way");
        browser.throttleUploads(8 * 1024 * 1024);
        try {
            page.attach(file);
            page.pressSend();
            WebElement bubble = page.bubble("big-scan.pdf");
            browser.waitUntil(d -> Long.parseLong(bubble.findElement(testId("upload-progress"))
                    .getAttribute("data-loaded")) > 0);
            assertTrue(leavingIsQuestioned());

            browser.script("setTimeout(() => location.reload(), 0);");

            browser.waitUntil(d -> dialogs.contains("beforeunload"));
        } finally {
            browser.stopThrottling();
        }
    }

    /** Whether the page's beforeunload handler asks the browser to confirm leaving. */
    private static boolean leavingIsQuestioned() {
        return (Boolean) browser.script("""
                const event = new Event('beforeunload', { cancelable: true });
                window.dispatchEvent(event);
                return event.defaultPrevented;
                """);
    }

    /** While the app was down the page's requests were refused; nothing else may have reached the console. */
    private static void assertOnlyRefusedConnections() {
        List<String> errors = browser.consoleErrors().stream()
                .filter(e -> !e.contains("net::ERR_CONNECTION_REFUSED")).toList();
        assertEquals(List.of(), errors, "only the refused requests while the app was down");
    }
}
