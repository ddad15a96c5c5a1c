package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.devtools.v156.target.Target;
import org.openqa.selenium.devtools.v156.target.model.TargetInfo;
import org.openqa.selenium.interactions.Actions;

/** Attachments shown as what they are: pictures in a viewer, sound and video in players, PDFs in a new tab. */
@Tag("browser")
class BrowserMediaTest extends BrowserTest {
    private static final String PHONE = "11 98765-4321";
    private static final String DISPLAY = "(11) 98765-4321";

    /** The frame of Chrome's built-in PDF viewer (a component extension with a fixed id). */
    private static final String CHROME_PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/index.html";

    private ChatPage page;

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    private void start() throws IOException {
        startRelay(Map.of());
        page = new ChatPage(browser);
        page.open(relay.url("/"));
        page.startChat(PHONE, DISPLAY);
    }

    @Test
    void shouldOpenAPictureInTheViewerMoveToTheNextAndCloseWithEscape() throws Exception {
        start();
        Path green = picture(dir.resolve("green.png"), new Color(0x25d366));
        Path blue = picture(dir.resolve("blue.png"), new Color(0x027eb5));
        send(green);
        send(blue);
        WebElement first = page.waitForStatus("green.png", "delivered");
        WebElement second = page.waitForStatus("blue.png", "delivered");
        // Both pictures shown, so the thread no longer moves under the click.
        for (WebElement bubble : List.of(first, second)) {
            browser.waitUntil(d -> (Boolean) browser.script(
                    "return arguments[0].complete && arguments[0].naturalWidth > 0",
                    bubble.findElement(testId("attachment-thumb"))));
        }

        WebElement opener = first.findElement(testId("attachment-view"));
        opener.click();

        WebElement viewer = browser.waitUntil(d -> {
            WebElement dialog = d.findElement(testId("lightbox"));
            return dialog.isDisplayed() ? dialog : null;
        });
        WebElement image = viewer.findElement(testId("lightbox-image"));
        assertEquals(first.findElement(testId("attachment-thumb")).getAttribute("src"), image.getAttribute("src"));
        assertEquals("green.png", image.getAttribute("alt"));
        assertEquals("1 of 2", viewer.findElement(testId("lightbox-counter")).getText());
        browser.waitUntil(d -> (Boolean) browser.script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                image));

        new Actions(browser.driver()).sendKeys(Keys.ARROW_RIGHT).perform();

        browser.waitUntil(d -> "blue.png".equals(image.getAttribute("alt")));
        assertEquals("2 of 2", viewer.findElement(testId("lightbox-counter")).getText());

        new Actions(browser.driver()).sendKeys(Keys.ESCAPE).perform();

        browser.waitUntil(d -> !viewer.isDisplayed());
        assertEquals(opener, browser.driver().switchTo().activeElement(), "focus is back on the picture");
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldPlaySoundAndVideoInTheBubbleAndOpenAPdfInANewTab() throws Exception {
        start();
        Path sound = Files.write(dir.resolve("voice.wav"), wav());
        Path clip = Files.write(dir.resolve("clip.mp4"), mp4Header());
        Path pdf = Files.write(dir.resolve("report.pdf"), BrowserChatTest.pdf(4_000));
        send(sound);
        send(clip);
        send(pdf);

        WebElement audio = page.waitForStatus("voice.wav", "delivered").findElement(testId("attachment-audio"));
        assertEquals("audio", audio.getTagName());
        assertEquals("true", audio.getAttribute("controls"));
        assertEquals("metadata", audio.getAttribute("preload"));
        assertTrue(audio.getAttribute("src").contains("/chat/attachments/att_"), audio.getAttribute("src"));
        // The browser read the sound's length from the server: the page's CSP lets media from this origin play.
        browser.waitUntil(d -> (Boolean) browser.script("return arguments[0].readyState >= 1 && arguments[0].duration > 0",
                audio));
        WebElement video = page.waitForStatus("clip.mp4", "delivered").findElement(testId("attachment-video"));
        assertEquals("video", video.getTagName());
        assertEquals("true", video.getAttribute("controls"));
        assertEquals("metadata", video.getAttribute("preload"));
        assertTrue(video.getAttribute("src").contains("/chat/attachments/att_"), video.getAttribute("src"));
        WebElement report = page.waitForStatus("report.pdf", "delivered");
        WebElement open = report.findElement(testId("attachment-open-tab"));
        assertEquals("_blank", open.getAttribute("target"));
        assertTrue(open.getAttribute("rel").contains("noopener"));
        assertEquals(report.findElement(testId("attachment-download")).getAttribute("href"), open.getAttribute("href"));
        for (int request = 0; request < 3; request++) {
            relay.takeWebhookRequest();
        }
    }

    @Test
    void shouldShowAPdfInTheBrowsersOwnViewer() throws Exception {
        start();
        send(Files.write(dir.resolve("invoice.pdf"), onePagePdf()));
        String href = page.waitForStatus("invoice.pdf", "delivered").findElement(testId("attachment-open-tab"))
                .getAttribute("href");

        browser.open(href);

        // Chrome shows a PDF in a page that frames its viewer (an extension of its own, out of reach of the page),
        // which frames the document itself; a PDF to be saved leaves no page at all. The page is sandboxed like every
        // file served, and the viewer runs all the same.
        browser.waitUntil(d -> "application/pdf".equals(browser.script("return document.contentType")));
        browser.waitUntil(d -> {
            List<String> frames = browser.devTools().send(Target.getTargets(Optional.empty())).stream()
                    .filter(target -> target.getType().equals("iframe")).map(TargetInfo::getUrl).toList();
            return frames.contains(CHROME_PDF_VIEWER) && frames.contains(href);
        });
        browser.screenshot("pdf-viewer.png");
    }

    /** Sends one file as its own message, the webhook accepting it. */
    private void send(Path file) {
        relay.answer(200);
        page.attach(file);
        page.pressSend();
    }

    private static Path picture(Path file, Color color) throws IOException {
        BufferedImage image = new BufferedImage(160, 90, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, 160, 90);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    /** A valid PDF of one empty page, so the viewer has something to show. */
    private static byte[] onePagePdf() {
        List<String> objects = List.of("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>");
        StringBuilder pdf = new StringBuilder("%PDF-1.4\n");
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            offsets.add(pdf.length());
            pdf.append(i + 1).append(" 0 obj\n").append(objects.get(i)).append("\nendobj\n");
        }
        int xref = pdf.length();
        pdf.append("xref\n0 ").append(objects.size() + 1).append("\n0000000000 65535 f \n");
        offsets.forEach(offset -> pdf.append("%010d 00000 n \n".formatted(offset)));
        pdf.append("trailer\n<< /Size ").append(objects.size() + 1).append(" /Root 1 0 R >>\nstartxref\n")
                .append(xref).append("\n%%EOF\n");
        return pdf.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Half a second of silence, a WAV any browser decodes. */
    private static byte[] wav() throws IOException {
        AudioFormat format = new AudioFormat(8_000, 16, 1, true, false);
        byte[] samples = new byte[8_000];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(samples), format,
                samples.length / format.getFrameSize())) {
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
        }
        return out.toByteArray();
    }

    /** The start of an MP4: enough for the server to know it is a video (the player is what is tested, not playing). */
    private static byte[] mp4Header() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 0, 0, 24});
        out.writeBytes("ftypisom".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {0, 0, 2, 0});
        out.writeBytes("isomiso2avc1mp41".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
