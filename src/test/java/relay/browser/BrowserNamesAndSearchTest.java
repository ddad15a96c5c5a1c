package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.openqa.selenium.WindowType;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** The conversation list's contact names, search and unread counts, in a real browser against the real app. */
@Tag("browser")
class BrowserNamesAndSearchTest extends BrowserTest {
    private static final String A = "+5511987650001";
    private static final String A_DISPLAY = "(11) 98765-0001";
    private static final String B = "+5511987650002";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    private void start() throws IOException {
        startRelay(Map.of());
        Webhooks.answerOkUnlessScripted(relay.webhook);
        page = new ChatPage(browser);
    }

    private static String phone(int i) {
        return String.format("+551191234%04d", i);
    }

    @Test
    void shouldNameAContactFromTheThreadHeaderAndShowTheNameInEveryTab() throws Exception {
        start();
        relay.sendText(A, "hello A");
        relay.sendText(B, "hello B");
        page.open(relay.url("/"));
        page.openConversation(A, A_DISPLAY);
        String first = browser.driver().getWindowHandle();
        String second = browser.driver().switchTo().newWindow(WindowType.TAB).getWindowHandle();
        try {
            page.open(relay.url("/"));
            page.conversation(A);
            browser.driver().switchTo().window(first);

            browser.find("contact-edit").click();
            WebElement name = browser.find("contact-name");
            name.sendKeys("   ", Keys.ENTER);
            browser.waitUntil(d -> d.findElement(testId("contact-error")).getText()
                    .equals("The name has nothing visible in it."));
            name.clear();
            name.sendKeys("Ana Souza", Keys.ENTER);

            browser.waitUntil(d -> d.findElement(testId("thread-title")).getText().equals("Ana Souza"));
            assertEquals(A_DISPLAY, browser.find("thread-subtitle").getText(), "the phone stays beside the name");
            assertFalse(browser.find("contact-form").isDisplayed());
            browser.waitUntil(d -> nameInList(A).equals("Ana Souza"));
            assertEquals("Ana Souza", RunningApp.json(relay.app().get("/chat/contacts/%2B5511987650001"))
                    .path("contact_name").asText());

            browser.driver().switchTo().window(second);
            browser.waitUntil(d -> nameInList(A).equals("Ana Souza"));

            browser.driver().switchTo().window(first);
            browser.find("contact-edit").click();
            browser.find("contact-remove").click();
            browser.waitUntil(d -> d.findElement(testId("thread-title")).getText().equals(A_DISPLAY));
            browser.waitUntil(d -> nameInList(A).isEmpty());

            browser.driver().switchTo().window(second);
            browser.waitUntil(d -> nameInList(A).isEmpty());
            browser.assertNoConsoleErrors();
        } finally {
            if (browser.driver().getWindowHandles().contains(second)) {
                browser.driver().switchTo().window(second).close();
            }
            browser.driver().switchTo().window(first);
        }
    }

    private String nameInList(String phone) {
        return page.conversation(phone).findElements(testId("conversation-name")).stream()
                .map(WebElement::getText).findFirst().orElse("");
    }

    @Test
    void shouldSearchNamesPhonesAndMessageTextAPageAtATime() throws Exception {
        start();
        relay.sendText(A, "hi");
        relay.nameContact(A, "Boleto Ltda");
        for (int i = 0; i < 25; i++) {
            relay.sendText(phone(i), "segunda via do boleto " + i);
        }
        relay.sendText(B, "nothing to see here");
        page.open(relay.url("/"));
        WebElement search = browser.find("search-input");

        search.sendKeys("boleto");

        List<WebElement> names = browser.waitUntil(d -> {
            List<WebElement> found = d.findElements(testId("search-conversation"));
            return found.isEmpty() ? null : found;
        });
        assertEquals(List.of(A), names.stream().map(e -> e.getAttribute("data-phone")).toList());
        assertFalse(browser.find("conversations").isDisplayed(), "the results stand in for the list");
        browser.waitUntil(d -> d.findElements(testId("search-message")).size() == 20);
        WebElement snippet = browser.driver().findElement(testId("search-snippet"));
        assertEquals("boleto", snippet.findElement(By.tagName("mark")).getText());
        browser.find("search-more-messages").click();
        browser.waitUntil(d -> d.findElements(testId("search-message")).size() == 25);
        assertTrue(browser.driver().findElements(testId("search-more-messages")).isEmpty());

        WebElement hit = browser.waitUntil(d -> d.findElement(
                By.cssSelector("[data-testid='search-message'][data-phone='" + phone(3) + "']")));
        String id = hit.getAttribute("data-id");
        hit.click();
        browser.waitUntil(d -> d.findElement(testId("thread-title")).getText().equals("(11) 91234-0003"));
        WebElement bubble = browser.waitUntil(d -> d.findElement(
                By.cssSelector("[data-testid='message'][data-id='" + id + "']")));
        assertTrue(bubble.getAttribute("class").contains("highlight"));

        search.clear();
        search.sendKeys("bo");
        browser.waitUntil(d -> !d.findElements(testId("search-short")).isEmpty());
        assertEquals(1, browser.driver().findElements(testId("search-conversation")).size(), "names from 1 character");
        assertTrue(browser.driver().findElements(testId("search-message")).isEmpty());

        search.sendKeys(Keys.ESCAPE);
        browser.waitUntil(d -> d.findElement(testId("conversations")).isDisplayed());
        assertFalse(browser.find("search-results").isDisplayed());
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldCountUnreadMessagesUntilTheConversationIsOpenedAndRememberThemOnReload() throws Exception {
        start();
        relay.sendText(A, "first to A");
        relay.sendText(B, "first to B");
        page.open(relay.url("/"));
        assertEquals("0", page.conversation(B).getAttribute("data-unread"), "a first visit shows no backlog");
        page.openConversation(A, A_DISPLAY);

        relay.sendText(B, "news 1");
        relay.sendText(B, "news 2");
        String toOpen = relay.sendText(A, "to the open one");

        browser.waitUntil(d -> "2".equals(page.conversation(B).getAttribute("data-unread")));
        // The row is drawn again on every event of its conversation: read the badge as it stands when it says 2.
        browser.waitUntil(d -> "2".equals(page.conversation(B).findElement(testId("conversation-unread")).getText()));
        browser.waitUntil(d -> page.conversation(A).findElement(testId("conversation-preview")).getText()
                .contains("to the open one"));
        assertEquals("0", page.conversation(A).getAttribute("data-unread"), "the open conversation is being read");
        page.bubble("to the open one");
        assertEquals(0, page.requestsTo("/chat/messages/" + toOpen),
                "the bubble came with the list's entry, from the event's row, not fetched afterwards");

        page.open(relay.url("/"));
        assertEquals("2", page.conversation(B).getAttribute("data-unread"), "kept across a reload");
        assertEquals("0", page.conversation(A).getAttribute("data-unread"));
        page.openConversation(B, "(11) 98765-0002");
        page.open(relay.url("/"));
        assertEquals("0", page.conversation(B).getAttribute("data-unread"), "seen once opened");
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldCountMessagesArrivingBelowTheReaderOnAButtonThatTakesThereAndGoes() throws Exception {
        start();
        for (int i = 1; i <= 40; i++) {
            relay.sendText(A, "earlier " + i);
        }
        page.open(relay.url("/"));
        page.openConversation(A, A_DISPLAY);
        page.bubble("earlier 40");
        browser.script("document.querySelector('[data-testid=thread]').scrollTop = 0");

        relay.sendText(A, "arrived while reading above");
        relay.sendText(A, "and another");

        WebElement button = browser.waitUntil(d -> {
            WebElement found = d.findElement(testId("new-messages"));
            return found.isDisplayed() && "↓ 2 new messages".equals(found.getText()) ? found : null;
        });
        assertEquals(0L, browser.script("return document.querySelector('[data-testid=thread]').scrollTop"),
                "the reader is not moved");
        button.click();

        browser.waitUntil(d -> !d.findElement(testId("new-messages")).isDisplayed());
        assertTrue((Boolean) browser.script("const t = document.querySelector('[data-testid=thread]');"
                + " return t.scrollHeight - t.scrollTop - t.clientHeight < 80"), "taken to the newest");
        relay.sendText(A, "while at the end");
        page.bubble("while at the end");
        assertFalse(browser.find("new-messages").isDisplayed(), "at the end, new messages are simply followed");
        browser.assertNoConsoleErrors();
    }
}
