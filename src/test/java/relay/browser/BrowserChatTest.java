package relay.browser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import relay.testing.Forms;

/** The chat page in a real browser against the real app, with MockWebServer as the webhook. */
@Tag("browser")
class BrowserChatTest extends BrowserTest {
    private static final String PHONE = "11 98765-4321";
    private static final String E164 = "+5511987654321";
    private static final String DISPLAY = "(11) 98765-4321";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    private void start(Map<String, String> overrides) throws IOException {
        startRelay(overrides);
        page = new ChatPage(browser);
    }

    static byte[] pdf(int size) {
        byte[] bytes = new byte[size];
        byte[] head = "%PDF-1.4\n% test document\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, bytes, 0, head.length);
        byte[] tail = "\n%%EOF\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(tail, 0, bytes, size - tail.length, tail.length);
        return bytes;
    }

    @Test
    void shouldDeliverATextAndAPdfToANewPhone() throws Exception {
        start(Map.of());
        relay.answer(200);
        relay.answer(200);
        byte[] pdf = pdf(20_000);
        Path file = Files.write(dir.resolve("report.pdf"), pdf);

        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
        page.sendText("Hello from the browser");
        page.attach(file);
        page.pressSend();

        WebElement text = page.waitForStatus("Hello from the browser", "delivered");
        WebElement report = page.waitForStatus("report.pdf", "delivered");
        assertEquals("✓", page.mark(text));
        assertEquals("✓", page.mark(report));
        WebElement chip = report.findElement(testId("attachment"));
        assertEquals("pdf", chip.getAttribute("data-kind"));
        assertTrue(chip.findElement(testId("attachment-download")).getAttribute("href").contains("/chat/attachments/att_"));
        List<JsonNode> sent = new ArrayList<>();
        sent.add(RunningRelay.data(relay.takeWebhookRequest()));
        sent.add(RunningRelay.data(relay.takeWebhookRequest()));
        relay.assertNoMoreWebhookRequests();
        JsonNode textData = sent.stream().filter(d -> d.has("text")).findFirst().orElseThrow();
        JsonNode pdfData = sent.stream().filter(d -> d.has("attachment")).findFirst().orElseThrow();
        assertEquals(E164, textData.get("phone").asText());
        assertEquals("Hello from the browser", textData.get("text").asText());
        assertEquals(E164, pdfData.get("phone").asText());
        assertEquals("pdf", pdfData.at("/attachment/kind").asText());
        assertEquals("report.pdf", pdfData.at("/attachment/filename").asText());
        assertArrayEquals(pdf, Base64.getDecoder().decode(pdfData.at("/attachment/data_base64").asText()));
        browser.waitUntil(d -> d.findElement(testId("conversation-phone")).getText().equals(DISPLAY));
        browser.waitUntil(d -> d.findElement(testId("conversation-summary")).getText().contains("✓ 2"));
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowRetriesThenFailureAndDeliverOnResend() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "1"));
        relay.answerUnavailable(1);
        relay.answer(500);

        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
        page.recordStatuses();
        page.sendText("Are you there?");

        WebElement bubble = page.waitForStatus("Are you there?", "failed");
        String id = bubble.getAttribute("data-id");
        List<Map<String, String>> seen = page.recordedStatuses(id);
        List<String> states = seen.stream().map(e -> e.get("status")).toList();
        assertTrue(states.indexOf("retrying") >= 0 && states.indexOf("retrying") < states.lastIndexOf("failed"),
                "went retrying before failed: " + seen);
        assertTrue(seen.stream().anyMatch(e -> e.get("status").equals("retrying")
                && e.get("info").contains("attempt 1 of 2") && e.get("info").matches(".*(next try in \\d+s|trying now).*")),
                "the retry line shows the attempt and the countdown: " + seen);
        WebElement mark = bubble.findElement(testId("mark"));
        assertEquals("✗", mark.getText());
        assertTrue(mark.getAttribute("title").contains("HTTP 500"), mark.getAttribute("title"));
        mark.click();
        WebElement detail = bubble.findElement(testId("failure-detail"));
        assertTrue(detail.isDisplayed());
        assertTrue(detail.getText().contains("2 of 2"), detail.getText());
        page.composer().sendKeys(Keys.ESCAPE);
        browser.waitUntil(d -> !detail.isDisplayed());

        relay.answer(200);
        bubble.findElement(testId("resend")).click();

        assertEquals("✓", page.mark(page.waitForStatus("Are you there?", "delivered")));
        for (int attempt = 1; attempt <= 3; attempt++) {
            RecordedRequest request = relay.takeWebhookRequest();
            assertEquals(id, request.getHeaders().get("webhook-id"));
            assertEquals("Are you there?", RunningRelay.data(request).get("text").asText());
        }
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowAnInlineErrorForAnInvalidPhoneAndTheFormattedNumberForAValidOne() throws Exception {
        start(Map.of());
        page.open(relay.url("/"));

        WebElement input = browser.find("new-chat-phone");
        input.sendKeys("12345");
        WebElement hint = browser.find("new-chat-hint");
        browser.waitUntil(d -> "invalid".equals(hint.getAttribute("data-state")));
        assertEquals("This is not a valid phone number.", hint.getText());
        assertEquals("true", input.getAttribute("aria-invalid"));
        input.sendKeys(Keys.ENTER);
        assertFalse(browser.find("thread").isDisplayed(), "an invalid number opens no chat");

        input.clear();
        input.sendKeys(PHONE);
        browser.waitUntil(d -> "valid".equals(hint.getAttribute("data-state")));
        assertEquals(DISPLAY + " · " + E164, hint.getText());
        assertEquals("false", input.getAttribute("aria-invalid"));
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    /** The composer stays usable during an upload, and what is typed meanwhile is shown, and sent, after the file. */
    @Test
    void shouldSendTextTypedDuringALargeUploadAfterTheFile() throws Exception {
        start(Map.of());
        relay.answer(200);
        relay.answer(200);
        byte[] big = pdf(50 * 1024 * 1024);
        Path file = Files.write(dir.resolve("big-scan.pdf"), big);
        page.open(relay.url("/#phone=" + E164));
        browser.waitUntil(d -> DISPLAY.equals(d.findElement(testId("thread-title")).getText()));
        // Uploads to loopback are near instant: slow this one down so there is an "during" to act in.
        browser.throttleUploads(8 * 1024 * 1024);
        try {
            page.attach(file);
            page.pressSend();
            WebElement progress = browser.waitUntil(d -> {
                WebElement bar = d.findElement(testId("upload-progress"));
                long loaded = Long.parseLong(bar.getAttribute("data-loaded"));
                return loaded > 0 && loaded < big.length ? bar : null;
            });
            assertEquals(String.valueOf(big.length), progress.getAttribute("data-total"));

            WebElement composer = page.composer();
            composer.sendKeys("typed during the upload");
            assertEquals("typed during the upload", composer.getAttribute("value"));
            composer.sendKeys(Keys.ENTER);
            assertEquals(List.of("big-scan.pdf", "typed during the upload"), page.bubbleLabels(),
                    "the text is shown after the file it was typed beside");
            assertEquals("local", page.status(page.bubble("typed during the upload")), "it waits for the file");

            page.waitForStatus("big-scan.pdf", "delivered");
            page.waitForStatus("typed during the upload", "delivered");
            assertEquals(List.of("big-scan.pdf", "typed during the upload"), page.bubbleLabels());
        } finally {
            browser.stopThrottling();
        }
        JsonNode first = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals(big.length, first.at("/attachment/size").asLong());
        assertEquals(Forms.sha256(big), first.at("/attachment/sha256").asText());
        JsonNode second = RunningRelay.data(relay.takeWebhookRequest());
        assertEquals("typed during the upload", second.get("text").asText());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    /** Only failed loads of the given status (answers the test provoked on purpose) reached the console. */
    private static void assertOnlyExpectedFailedLoads(int status) {
        List<String> unexpected = browser.consoleErrors().stream()
                .filter(e -> !e.contains("the server responded with a status of " + status))
                .toList();
        assertEquals(List.of(), unexpected);
    }

    @Test
    void shouldShowEveryDeliveryStateAtOnceAndTheOpenCircuitInTheHeader() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "1", "WEBHOOK_RETRY_MAX_SECONDS", "30", "CIRCUIT_FAILURE_THRESHOLD", "3",
                "CIRCUIT_OPEN_SECONDS", "60"));
        relay.answer(200);
        relay.sendText("+5521912345678", "Olá! Seu pedido foi enviado.");
        relay.takeWebhookRequest();
        Path photo = dir.resolve("delivery-photo.png");
        writePicture(photo);
        Path invoice = Files.write(dir.resolve("invoice-1234.pdf"), pdf(184_320));

        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
        relay.answer(200);
        page.sendText("Hi! Your order #1234 has shipped 📦");
        page.waitForStatus("Hi! Your order #1234 has shipped 📦", "delivered");
        relay.answer(200);
        page.composer().sendKeys("Here is the photo of the package");
        page.attach(photo);
        page.pressSend();
        WebElement withPhoto = page.waitForStatus("delivery-photo.png", "delivered");
        browser.waitUntil(d -> (Boolean) browser.script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                withPhoto.findElement(testId("attachment-thumb"))));
        relay.answer(200);
        page.attach(invoice);
        page.pressSend();
        page.waitForStatus("invoice-1234.pdf", "delivered");
        relay.answer(500);
        relay.answer(500);
        page.sendText("Can you confirm the delivery address?");
        WebElement failed = page.waitForStatus("Can you confirm the delivery address?", "failed");
        relay.answerUnavailable(30);
        page.sendText("Tracking code: BR123456789");
        WebElement retrying = page.waitForStatus("Tracking code: BR123456789", "retrying");
        page.sendText("Thanks for your patience!");
        WebElement waiting = page.waitForStatus("Thanks for your patience!", "waiting");

        assertEquals("↻", page.mark(retrying));
        assertTrue(retrying.findElement(testId("retry-info")).getText().matches("attempt 1 of 2 · next try in \\d+s"),
                retrying.findElement(testId("retry-info")).getText());
        assertEquals("⏳", page.mark(waiting));
        assertTrue(waiting.findElement(testId("waiting-info")).getText()
                .matches("waits for an earlier message · its retry in \\d+s"),
                waiting.findElement(testId("waiting-info")).getText());
        WebElement indicator = browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("circuit-indicator"));
            return e.isDisplayed() ? e : null;
        });
        assertEquals("open", indicator.getAttribute("data-state"));
        assertTrue(indicator.getAttribute("href").endsWith("/settings"));
        browser.waitUntil(d -> d.findElement(testId("conversation-summary")).getText().contains("⏸ 1"));
        failed.findElement(testId("mark")).click();
        browser.script("arguments[0].scrollIntoView({block: 'end'})", page.bubble("Thanks for your patience!"));
        browser.screenshot("chat.png");
        for (int request = 0; request < 6; request++) {
            relay.takeWebhookRequest();
        }
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    /**
     * Under strict ordering a failed message holds its conversation back: the list flags it, the messages behind it
     * say what they wait for, and Skip (beside Resend) lets them go.
     */
    @Test
    void shouldLetTheOperatorSkipAFailedMessageThatBlocksItsConversation() throws Exception {
        start(Map.of("WEBHOOK_ORDERING", "strict"));
        relay.answer(422);
        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
        page.sendText("Your invoice is attached");
        WebElement head = page.waitForStatus("Your invoice is attached", "failed");
        page.sendText("Did you receive it?");

        WebElement behind = page.waitForStatus("Did you receive it?", "waiting");
        assertEquals("⏳", page.mark(behind));
        assertEquals("waits for an earlier message · which failed: resend or skip it",
                behind.findElement(testId("waiting-info")).getText());
        assertTrue(head.findElement(testId("blocking")).isDisplayed());
        browser.waitUntil(d -> d.findElement(testId("conversation-blocked")).isDisplayed());
        browser.screenshot("chat-blocked.png");
        relay.answer(200);
        head.findElement(testId("skip")).click();

        page.waitForStatus("Did you receive it?", "delivered");
        WebElement skipped = page.bubble("Your invoice is attached");
        assertEquals("failed", page.status(skipped));
        assertTrue(skipped.findElements(testId("skip")).isEmpty(), "nothing left to skip");
        assertTrue(skipped.findElement(testId("mark")).getAttribute("title").startsWith("skipped by the operator"));
        browser.waitUntil(d -> d.findElements(testId("conversation-blocked")).isEmpty());
        relay.takeWebhookRequest();
        relay.takeWebhookRequest();
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    private static void writePicture(Path file) throws IOException {
        BufferedImage image = new BufferedImage(320, 180,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(0x25d366), 320, 180, new Color(0x128c7e)));
        g.fillRect(0, 0, 320, 180);
        g.setColor(new Color(0xc8a165));
        g.fillRect(110, 60, 100, 80);
        g.setColor(new Color(0x8b6b3d));
        g.fillRect(155, 60, 10, 80);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    @Test
    void shouldCollapseTheConversationListToABackButtonOnAPhoneSizedScreen() throws Exception {
        start(Map.of());
        relay.answer(200);
        relay.sendText(E164, "hello");
        relay.takeWebhookRequest();
        browser.emulatePhone(375, 740);
        try {
            page.open(relay.url("/"));
            assertEquals(375L, browser.script("return window.innerWidth"));
            WebElement sidebar = browser.find("sidebar");
            assertTrue(sidebar.isDisplayed());
            assertFalse(browser.find("pane").isDisplayed());

            browser.find("conversation").click();

            browser.waitUntil(d -> d.findElement(testId("pane")).isDisplayed() && !sidebar.isDisplayed());
            page.waitForStatus("hello", "delivered");
            WebElement back = browser.find("back-button");
            assertTrue(back.isDisplayed());
            assertEquals(List.of(), browser.script("""
                    return [...document.querySelectorAll('body *')]
                      .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
                      .map((e) => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right);
                    """), "nothing is wider than the screen");
            back.click();
            browser.waitUntil(d -> sidebar.isDisplayed() && !d.findElement(testId("pane")).isDisplayed());
        } finally {
            browser.stopEmulatingPhone();
        }
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldAskForTheTokenFirstWhenTheServerHasOne() throws Exception {
        start(Map.of("APP_TOKEN", "correct-horse-battery-staple"));
        browser.open(relay.url("/"));
        WebElement token = browser.find("signin-token");
        assertFalse(browser.driver().findElements(testId("conversation")).iterator().hasNext());

        token.sendKeys("not-the-right-token", Keys.ENTER);
        browser.waitUntil(d -> d.findElement(testId("signin-error")).getText().equals("That token is not right."));
        token.clear();
        token.sendKeys("correct-horse-battery-staple", Keys.ENTER);

        browser.waitUntilLoaded();
        assertTrue(browser.driver().findElements(testId("signin")).isEmpty());
        relay.answer(200);
        page.startChat(PHONE, DISPLAY);
        page.sendText("signed in");
        page.waitForStatus("signed in", "delivered");
        relay.takeWebhookRequest();
        assertOnlyExpectedFailedLoads(401);
    }

    @Test
    void shouldReconnectAfterARestartAndShowWhatHappenedMeanwhile() throws Exception {
        start(Map.of());
        relay.answer(200);
        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
        page.sendText("before the restart");
        page.waitForStatus("before the restart", "delivered");
        relay.takeWebhookRequest();

        relay.stopApp();
        browser.waitUntil(d -> d.findElement(testId("offline-banner")).isDisplayed());
        assertEquals("Offline — reconnecting…", browser.find("offline-banner").getText());
        relay.startAgain();
        relay.answer(200);
        relay.sendText(E164, "sent while the page was away");

        page.waitForStatus("sent while the page was away", "delivered");
        browser.waitUntil(d -> !d.findElement(testId("offline-banner")).isDisplayed());
        relay.takeWebhookRequest();
        relay.assertNoMoreWebhookRequests();
        List<String> errors = browser.consoleErrors().stream()
                .filter(e -> !e.contains("net::ERR_CONNECTION_REFUSED")).toList();
        assertEquals(List.of(), errors, "only the refused reconnections while the app was down");
    }

    @Test
    void shouldShowErrorsNextToWhatCausedThem() throws Exception {
        start(Map.of());
        Path program = Files.write(dir.resolve("tool.bin"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0});
        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);

        page.attach(program);
        page.pressSend();

        WebElement bubble = page.bubble("tool.bin");
        WebElement error = browser.waitUntil(d -> bubble.findElement(testId("message-error")));
        assertEquals("This kind of file cannot be sent: only images, PDFs, documents, audio and video.", error.getText());
        assertTrue(browser.find("composer-error").getText().isEmpty(), "the file's error is on its bubble");
        bubble.findElement(testId("message-dismiss")).click();
        browser.waitUntil(d -> page.bubbles().isEmpty());

        browser.script("arguments[0].value = 'x'.repeat(4097)", page.composer());
        page.composer().sendKeys(Keys.ENTER);

        browser.waitUntil(d -> d.findElement(testId("composer-error")).getText()
                .equals("The message is too long: 4097 characters, at most 4096."));
        assertEquals(4097, page.composer().getAttribute("value").length(), "the text stays to be shortened");
        assertTrue(page.bubbles().isEmpty());
        relay.assertNoMoreWebhookRequests();
        assertOnlyExpectedFailedLoads(415);
    }
}
