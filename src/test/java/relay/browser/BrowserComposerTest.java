package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** The composer in a real browser: focus, pasted and dropped files with previews and captions, the counter, links. */
@Tag("browser")
class BrowserComposerTest extends BrowserTest {
    private static final String E164 = "+5511987654321";
    private static final String DISPLAY = "(11) 98765-4321";

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

    private void openChat() {
        page.open(relay.url("/#phone=" + E164));
        browser.waitUntil(d -> DISPLAY.equals(d.findElement(testId("thread-title")).getText()));
    }

    @Test
    void shouldPutTheFocusInTheComposerWhenAChatOpens() throws Exception {
        start();
        relay.sendText(E164, "hello");
        relay.takeWebhookRequest();
        page.open(relay.url("/"));

        page.openConversation(E164, DISPLAY);

        browser.waitUntil(d -> "composer-text".equals(page.focused()));
        page.startChat("11 98765-0003", "(11) 98765-0003");
        browser.waitUntil(d -> "composer-text".equals(page.focused()));
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldStageAPastedImageWithItsPreviewAndSendItWithItsCaption() throws Exception {
        start();
        openChat();

        assertTrue(page.pasteImage(png(), "screenshot.png"), "the page takes the pasted file");

        assertEquals(List.of("screenshot.png"), page.stagedFileNames());
        WebElement staged = browser.find("staged-file");
        WebElement thumb = staged.findElement(testId("staged-thumb"));
        browser.waitUntil(d -> (Boolean) browser.script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                thumb));
        assertTrue(thumb.getAttribute("src").startsWith("blob:"), thumb.getAttribute("src"));
        assertFalse(staged.findElement(testId("staged-size")).getText().isEmpty());
        assertEquals("", page.composerText(), "nothing of the image is pasted as text");
        staged.findElement(testId("staged-caption")).sendKeys("the broken part", Keys.ENTER);

        page.waitForStatus("screenshot.png", "delivered");
        JsonNode sent = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals("image", sent.at("/attachment/kind").asText());
        assertEquals("screenshot.png", sent.at("/attachment/filename").asText());
        assertEquals("the broken part", sent.get("text").asText());
        relay.assertNoMoreWebhookRequests();
        assertTrue(page.stagedFileNames().isEmpty());
        browser.assertNoConsoleErrors();
    }

    /** Several files chosen at once are shown in the order chosen and sent in that order, each with its caption. */
    @Test
    void shouldSendSeveralFilesInTheOrderTheyAreShown() throws Exception {
        start();
        // The first file is the largest, so it finishes uploading last: the order must not follow the uploads.
        Path first = Files.write(dir.resolve("1-contract.pdf"), BrowserChatTest.pdf(3 * 1024 * 1024));
        Path second = Files.write(dir.resolve("2-annex.pdf"), BrowserChatTest.pdf(10_000));
        Path third = Files.write(dir.resolve("3-receipt.pdf"), BrowserChatTest.pdf(20_000));
        openChat();
        page.attachAll(List.of(first, second, third));
        assertEquals(List.of("1-contract.pdf", "2-annex.pdf", "3-receipt.pdf"), page.stagedFileNames());
        browser.driver().findElements(testId("staged-caption")).get(1).sendKeys("the annex");
        page.composer().sendKeys("please sign");

        browser.throttleUploads(4 * 1024 * 1024);
        try {
            page.pressSend();
            assertEquals(List.of("1-contract.pdf", "2-annex.pdf", "3-receipt.pdf"), page.bubbleLabels());
            page.waitForStatus("3-receipt.pdf", "delivered");
        } finally {
            browser.stopThrottling();
        }
        assertEquals(List.of("1-contract.pdf", "2-annex.pdf", "3-receipt.pdf"), page.bubbleLabels());
        List<JsonNode> sent = List.of(RunningRelay.data(relay.takeWebhookRequest()),
                RunningRelay.data(relay.takeWebhookRequest()), RunningRelay.data(relay.takeWebhookRequest()));
        assertEquals(List.of("1-contract.pdf", "2-annex.pdf", "3-receipt.pdf"),
                sent.stream().map(d -> d.at("/attachment/filename").asText()).toList());
        assertEquals("please sign", sent.get(0).path("text").asText(), "the composer's text goes with the first file");
        assertEquals("the annex", sent.get(1).path("text").asText());
        assertTrue(sent.get(2).path("text").isMissingNode() || sent.get(2).path("text").isNull(), sent.get(2).toString());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldKeepTheCaptionInTheComposerWhenAnUploadIsCancelled() throws Exception {
        start();
        byte[] big = BrowserChatTest.pdf(50 * 1024 * 1024);
        Path file = Files.write(dir.resolve("big-scan.pdf"), big);
        openChat();
        browser.throttleUploads(4 * 1024 * 1024);
        try {
            page.composer().sendKeys("the signed scan");
            page.attach(file);
            page.pressSend();
            assertEquals("", page.composerText());
            WebElement bubble = page.bubble("big-scan.pdf");
            browser.waitUntil(d -> Long.parseLong(bubble.findElement(testId("upload-progress"))
                    .getAttribute("data-loaded")) > 0);

            bubble.findElement(testId("upload-cancel")).click();

            browser.waitUntil(d -> page.bubbles().isEmpty());
            assertEquals("the signed scan", page.composerText());
        } finally {
            browser.stopThrottling();
        }
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldCountCharactersAsTheServerDoesFrom3800On() throws Exception {
        start();
        openChat();
        WebElement counter = browser.driver().findElement(testId("composer-counter"));

        setComposerText("x".repeat(3799));
        assertFalse(counter.isDisplayed(), "no counter far from the limit");
        page.composer().sendKeys("x");
        browser.waitUntil(d -> counter.isDisplayed());
        assertEquals("3,800 / 4,096 characters", counter.getText());

        // An emoji is one character for the server (a code point), though two UTF-16 units for JavaScript.
        setComposerText("😀".repeat(4000));
        assertEquals("4,000 / 4,096 characters", counter.getText());
        assertFalse(counter.getAttribute("class").contains("over"));
        setComposerText("x".repeat(4097));
        assertEquals("4,097 / 4,096 characters", counter.getText());
        assertTrue(counter.getAttribute("class").contains("over"));
        browser.assertNoConsoleErrors();
    }

    private void setComposerText(String text) {
        browser.script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                page.composer(), text);
    }

    @Test
    void shouldMakeLinksClickableAndKeepMarkupAsText() throws Exception {
        start();
        openChat();
        String text = "Track it at https://example.com/track?id=42. Or <script>window.__injected = 1</script>"
                + "<img src=x onerror=\"window.__injected = 2\"> javascript:alert(1) ftp://example.com/file";

        page.sendText(text);

        WebElement bubble = page.waitForStatus(text, "delivered");
        List<WebElement> links = bubble.findElements(testId("message-link"));
        assertEquals(1, links.size(), "only the http(s) address is a link");
        WebElement link = links.get(0);
        assertEquals("https://example.com/track?id=42", link.getAttribute("href"));
        assertEquals("https://example.com/track?id=42", link.getText(), "the full stop after it is not part of it");
        assertEquals("_blank", link.getAttribute("target"));
        assertEquals("noopener noreferrer", link.getAttribute("rel"));
        assertTrue(bubble.findElements(By.cssSelector("script, img")).isEmpty(), "markup stays text");
        assertNull(browser.script("return window.__injected ?? null;"));
        assertEquals(text, bubble.findElement(testId("message-text")).getText());
        relay.takeWebhookRequest();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowWhyAnInvalidPhoneInTheAddressOpensNothing() throws Exception {
        start();

        page.open(relay.url("/#phone=garbage"));

        WebElement hint = browser.find("new-chat-hint");
        browser.waitUntil(d -> "invalid".equals(hint.getAttribute("data-state")));
        assertFalse(hint.getText().isEmpty());
        assertEquals("garbage", browser.find("new-chat-phone").getDomProperty("value"));
        assertFalse(browser.find("thread").isDisplayed());
        assertTrue(browser.driver().findElements(testId("conversation")).isEmpty(), "no entry in the list");
        assertEquals("", browser.script("return location.hash;"));
        HttpResponse<String> list = relay.app().get("/chat/conversations");
        assertEquals(200, list.statusCode());
        assertEquals(0, RunningApp.json(list).path("conversations").size(), list.body());
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldKeepTheDraftAcrossAReload() throws Exception {
        start();
        openChat();
        page.composer().sendKeys("half-written answer");

        browser.driver().navigate().refresh();
        browser.waitUntilLoaded();

        browser.waitUntil(d -> "half-written answer".equals(page.composerText()));
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    private static byte[] png() throws IOException {
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(0x25d366));
        g.fillRect(0, 0, 64, 48);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
