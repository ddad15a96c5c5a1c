package relay.browser;

import static relay.browser.Browser.testId;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** What the chat page offers a test, in the words of the page: start a chat, type, attach, read bubbles. */
final class ChatPage {
    private final Browser browser;

    ChatPage(Browser browser) {
        this.browser = browser;
    }

    /** Opens the page and waits until it has loaded its conversations. */
    ChatPage open(String url) {
        browser.open(url);
        browser.waitUntilLoaded();
        return this;
    }

    /** Types a phone number in "new chat", waits for it to be accepted, and opens the conversation. */
    void startChat(String phone, String expectedDisplay) {
        WebElement input = browser.find("new-chat-phone");
        input.clear();
        input.sendKeys(phone);
        browser.waitUntil(d -> "valid".equals(d.findElement(testId("new-chat-hint")).getAttribute("data-state")));
        input.sendKeys(Keys.ENTER);
        browser.waitUntil(d -> expectedDisplay.equals(d.findElement(testId("thread-title")).getText()));
    }

    /** Clicks the conversation of this phone in the list, and waits until its thread is open. */
    void openConversation(String e164, String expectedDisplay) {
        browser.waitUntil(d -> d.findElement(By.cssSelector("[data-testid='conversation'][data-phone='" + e164 + "']")))
                .click();
        browser.waitUntil(d -> expectedDisplay.equals(d.findElement(testId("thread-title")).getText()));
    }

    /** The phones of the conversation list, top to bottom. */
    @SuppressWarnings("unchecked")
    List<String> conversationPhones() {
        return (List<String>) browser.script(
                "return [...document.querySelectorAll('[data-testid=conversation]')].map((a) => a.dataset.phone);");
    }

    WebElement conversation(String e164) {
        return browser.waitUntil(d -> d.findElement(
                By.cssSelector("[data-testid='conversation'][data-phone='" + e164 + "']")));
    }

    /** Scrolls the conversation list to its end, as a reader would. */
    void scrollConversationsToEnd() {
        browser.script("const list = document.getElementById('conversations'); list.scrollTop = list.scrollHeight;");
    }

    /** How many requests the page made to {@code path} (any query), from the browser's own resource timings. */
    long requestsTo(String path) {
        return (Long) browser.script("return performance.getEntriesByType('resource')"
                + ".filter((e) => new URL(e.name).pathname === arguments[0]).length;", path);
    }

    String composerText() {
        return composer().getDomProperty("value");
    }

    List<String> stagedFileNames() {
        return browser.driver().findElements(By.cssSelector("[data-testid='staged-file'] .chip-name")).stream()
                .map(WebElement::getText).toList();
    }

    WebElement composer() {
        return browser.find("composer-text");
    }

    void sendText(String text) {
        composer().sendKeys(text, Keys.ENTER);
    }

    void attach(Path file) {
        browser.find("file-input").sendKeys(file.toAbsolutePath().toString());
        browser.waitUntil(d -> !d.findElements(testId("staged-file")).isEmpty());
    }

    void pressSend() {
        browser.find("send-button").click();
    }

    /** Each bubble's file name, or its text when it has no file, top to bottom as the thread shows them. */
    @SuppressWarnings("unchecked")
    List<String> bubbleLabels() {
        return (List<String>) browser.script("""
                return [...document.querySelectorAll('[data-testid=message]')].map((b) =>
                  (b.querySelector('[data-testid=attachment-name]') ?? b.querySelector('[data-testid=message-text]'))
                    ?.textContent ?? '');
                """);
    }

    /** Attaches several files at once, in this order, as choosing them together in the file dialog does. */
    void attachAll(List<Path> files) {
        browser.find("file-input").sendKeys(String.join("\n", files.stream().map(f -> f.toAbsolutePath().toString())
                .toList()));
        browser.waitUntil(d -> d.findElements(testId("staged-file")).size() == files.size());
    }

    /** The test id of the element that has the keyboard focus. */
    String focused() {
        return (String) browser.script("return document.activeElement?.dataset.testid ?? null;");
    }

    /**
     * Pastes a PNG into the composer as the clipboard of a screenshot would: a paste event carrying the file. Returns
     * whether the page took it (prevented the browser's own paste).
     */
    boolean pasteImage(byte[] png, String name) {
        return (Boolean) browser.script("""
                const [base64, name, target] = arguments;
                const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], name, { type: 'image/png' }));
                const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
                target.dispatchEvent(event);
                return event.defaultPrevented;
                """, Base64.getEncoder().encodeToString(png), name, composer());
    }

    List<WebElement> bubbles() {
        return browser.driver().findElements(testId("message"));
    }

    /** The bubble whose text, or attachment name, is exactly this. */
    WebElement bubble(String textOrFilename) {
        return bubble(textOrFilename, Browser.WAIT);
    }

    WebElement bubble(String textOrFilename, Duration within) {
        return browser.waitUntil(within, d -> shownBubble(textOrFilename));
    }

    private WebElement shownBubble(String textOrFilename) {
        return bubbles().stream()
                .filter(b -> b.findElements(By.cssSelector("[data-testid='message-text'],[data-testid='attachment-name']"))
                        .stream().anyMatch(e -> e.getText().equals(textOrFilename)))
                .findFirst().orElse(null);
    }

    String status(WebElement bubble) {
        return bubble.getAttribute("data-status");
    }

    /** Waits until the bubble shows the status; returns it fresh (bubbles are updated in place). */
    WebElement waitForStatus(String textOrFilename, String status) {
        return waitForStatus(textOrFilename, status, Browser.WAIT);
    }

    WebElement waitForStatus(String textOrFilename, String status, Duration within) {
        return browser.waitUntil(within, d -> {
            WebElement bubble = shownBubble(textOrFilename);
            return bubble != null && status.equals(status(bubble)) ? bubble : null;
        });
    }

    String mark(WebElement bubble) {
        return bubble.findElement(testId("mark")).getText();
    }

    /**
     * Records every state each bubble shows from now on (with its retry line), so a state that lasts a moment
     * is still seen by the test. The observer runs in the page; it is test code, not part of the page.
     */
    void recordStatuses() {
        browser.script("""
                const log = window.__statusLog = [];
                const record = (el) => {
                  if (!(el instanceof HTMLElement) || el.dataset.testid !== 'message') return;
                  const info = el.querySelector('[data-testid="retry-info"]');
                  log.push({ id: el.dataset.id, status: el.dataset.status, info: info ? info.textContent : '' });
                };
                new MutationObserver((mutations) => {
                  for (const m of mutations) {
                    if (m.type === 'attributes') record(m.target);
                    for (const n of m.addedNodes) record(n);
                  }
                }).observe(document.getElementById('messages'),
                  { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
                """);
    }

    /** The states recorded for one message, in order, with repeats collapsed. */
    @SuppressWarnings("unchecked")
    List<Map<String, String>> recordedStatuses(String messageId) {
        return (List<Map<String, String>>) browser.script("""
                const out = [];
                for (const e of window.__statusLog.filter((e) => e.id === arguments[0])) {
                  const last = out[out.length - 1];
                  if (!last || last.status !== e.status || (e.info && last.info !== e.info)) out.push(e);
                }
                return out;
                """, messageId);
    }
}
