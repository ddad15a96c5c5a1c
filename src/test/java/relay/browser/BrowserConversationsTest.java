package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** The conversation list and the drafts of the chat page, in a real browser against the real app. */
@Tag("browser")
class BrowserConversationsTest extends BrowserTest {
    private static final String A = "+5511987650001";
    private static final String A_DISPLAY = "(11) 98765-0001";
    private static final String B = "+5511987650002";
    private static final String B_DISPLAY = "(11) 98765-0002";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    /** The app with a webhook that accepts everything, so tests need not script each delivery. */
    private void start() throws IOException {
        startRelay(Map.of());
        Webhooks.answerOkUnlessScripted(relay.webhook);
        page = new ChatPage(browser);
    }

    private static String phone(int i) {
        return String.format("+551191234%04d", i);
    }

    @Test
    void shouldKeepEachDraftWithItsConversationAndSendOnlyWhatTheOpenOneShows() throws Exception {
        start();
        relay.sendText(A, "earlier to A");
        relay.sendText(B, "earlier to B");
        relay.takeWebhookRequest();
        relay.takeWebhookRequest();
        byte[] contract = BrowserChatTest.pdf(8_000);
        Path file = Files.write(dir.resolve("contract-a.pdf"), contract);
        page.open(relay.url("/"));

        page.openConversation(A, A_DISPLAY);
        page.composer().sendKeys("Here is your contract, A");
        page.attach(file);
        page.openConversation(B, B_DISPLAY);

        assertEquals("", page.composerText(), "B's composer does not show A's text");
        assertEquals(List.of(), page.stagedFileNames(), "nor A's file");
        assertTrue(page.conversation(A).findElement(testId("conversation-draft")).getText()
                .contains("contract-a.pdf"), "A's row tells it has a draft");
        page.composer().sendKeys("Hello B");
        page.pressSend();
        JsonNode toB = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals(B, toB.path("phone").asText());
        assertEquals("Hello B", toB.path("text").asText());
        assertTrue(toB.path("attachment").isMissingNode() || toB.path("attachment").isNull(), toB.toString());
        relay.assertNoMoreWebhookRequests();

        page.startChat("11 98765-0003", "(11) 98765-0003");
        assertEquals("", page.composerText(), "a new chat starts empty");
        assertEquals(List.of(), page.stagedFileNames());

        page.openConversation(A, A_DISPLAY);
        assertEquals("Here is your contract, A", page.composerText());
        assertEquals(List.of("contract-a.pdf"), page.stagedFileNames());
        page.pressSend();
        JsonNode toA = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals(A, toA.path("phone").asText());
        assertEquals("Here is your contract, A", toA.path("text").asText());
        assertEquals("contract-a.pdf", toA.at("/attachment/filename").asText());
        assertEquals(Base64.getEncoder().encodeToString(contract), toA.at("/attachment/data_base64").asText());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldLoadMoreConversationsAsTheListIsScrolled() throws Exception {
        start();
        for (int i = 0; i < 120; i++) {
            relay.sendText(phone(i), "hello " + i);
        }
        List<String> expected = phonesOf(relay.app().get("/chat/conversations?limit=200"));
        page.open(relay.url("/"));

        assertEquals(expected.subList(0, 50), page.conversationPhones());
        page.scrollConversationsToEnd();
        browser.waitUntil(d -> page.conversationPhones().size() == 100);
        page.scrollConversationsToEnd();
        browser.waitUntil(d -> page.conversationPhones().size() == 120);

        assertEquals(expected, page.conversationPhones(), "every conversation once, in the server's order");
        browser.waitUntil(d -> !d.findElement(testId("conversations-more")).isDisplayed());
        assertEquals(3, page.requestsTo("/chat/conversations"), "one request per page of 50");
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldMoveAConversationToTheTopOnALiveMessageWithoutFetchingTheListAgain() throws Exception {
        start();
        for (int i = 0; i < 60; i++) {
            relay.sendText(phone(i), "hello " + i);
        }
        relay.app().await("/chat/webhook-status", status -> status.at("/queue/delivered").asInt() == 60);
        page.open(relay.url("/"));
        assertEquals(50, page.conversationPhones().size());
        assertEquals(1, page.requestsTo("/chat/conversations"));

        relay.sendText(phone(30), "news for 30");
        browser.waitUntil(d -> page.conversationPhones().getFirst().equals(phone(30)));
        assertTrue(previewOf(phone(30)).contains("news for 30"), previewOf(phone(30)));
        relay.sendText(phone(2), "news for 2");
        browser.waitUntil(d -> page.conversationPhones().getFirst().equals(phone(2)));

        assertEquals(List.of(phone(2), phone(30), phone(59)), page.conversationPhones().subList(0, 3));
        assertEquals(51, page.conversationPhones().size(), "a conversation not loaded before came in on top");
        browser.waitUntil(d -> page.conversation(phone(2)).findElement(testId("conversation-summary")).getText()
                .equals("✓ 2"));
        assertEquals("true", page.conversation(phone(2)).getAttribute("data-unseen"));
        assertEquals(1, page.requestsTo("/chat/conversations"), "the events carried the rows: no fetch");

        page.openConversation(phone(2), "(11) 91234-0002");
        assertEquals("false", page.conversation(phone(2)).getAttribute("data-unseen"));
        browser.script("location.hash = arguments[0]", "phone=" + phone(0).replace("+", "%2B"));
        browser.waitUntil(d -> page.conversationPhones().getFirst().equals(phone(0))
                && previewOf(phone(0)).contains("hello 0"));
        assertEquals(2, page.requestsTo("/chat/conversations"),
                "the open conversation below the loaded ones is fetched alone, to show it on top");
        browser.assertNoConsoleErrors();
    }

    /**
     * {@code make bench} times the page by its User Timing marks and the browser's Element Timing of the rows and
     * bubbles (docs/performance.md): they must stay where it reads them. What they measure is not asserted here.
     */
    @Test
    void shouldMarkTheFirstConversationListedAndEachThreadShownForTheBench() throws Exception {
        start();
        relay.sendText(A, "first to A");
        String newest = relay.sendText(A, "newest to A");
        relay.sendText(B, "to B");
        page.open(relay.url("/"));

        assertEquals(1L, browser.script("return performance.getEntriesByName('relay:first-conversation').length"),
                "one mark, when the list first had a row");
        assertEquals(2L, browser.script("return document.querySelectorAll("
                + "'[data-testid=conversation-phone][elementtiming=\"relay:conversation\"]').length"));
        page.openConversation(A, A_DISPLAY);
        browser.waitUntil(d -> page.bubbleLabels().equals(List.of("first to A", "newest to A")));
        Map<?, ?> detail = (Map<?, ?>) browser.waitUntil(d -> browser.script(
                "return performance.getEntriesByName('relay:thread-ready').at(-1)?.detail ?? null"));
        assertEquals(Map.of("phone", A, "newest", newest), detail, "the thread's newest message was shown");
        assertEquals(2L, browser.script("return document.querySelectorAll("
                + "'[data-testid=message-text][elementtiming=\"relay:message\"]').length"));
        browser.assertNoConsoleErrors();
    }

    private String previewOf(String phone) {
        return page.conversation(phone).findElement(testId("conversation-preview")).getText();
    }

    private static List<String> phonesOf(HttpResponse<String> response) {
        List<String> phones = new ArrayList<>();
        RunningApp.json(response).path("conversations").forEach(row -> phones.add(row.path("phone").asText()));
        return phones;
    }
}
