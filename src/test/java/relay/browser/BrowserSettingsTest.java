package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.Select;
import relay.testing.RunningApp;

/** The settings page (circuit monitor, actions, failures, configuration, demo receiver) in a real browser. */
@Tag("browser")
class BrowserSettingsTest extends BrowserTest {
    private static final String PHONE = "+5511987654321";

    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("en-US");
    }

    private void start(Map<String, String> overrides) throws IOException {
        startRelay(overrides);
        browser.open(relay.url("/settings"));
        browser.waitUntilLoaded();
    }

    private WebElement circuitIs(String state) {
        return browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("circuit-state"));
            return state.equals(e.getAttribute("data-state")) ? e : null;
        });
    }

    @Test
    void shouldShowTheCircuitOpeningWithItsCountdownAndCloseItOnReset() throws Exception {
        start(Map.of("CIRCUIT_FAILURE_THRESHOLD", "2", "WEBHOOK_MAX_RETRIES", "0", "CIRCUIT_OPEN_SECONDS", "60"));
        assertTrue(circuitIs("closed").getText().startsWith("🟢"));
        relay.answer(500);
        relay.answer(500);

        String first = relay.sendText(PHONE, "first");
        relay.takeWebhookRequest();
        String second = relay.sendText(PHONE, "second");
        relay.takeWebhookRequest();

        assertTrue(circuitIs("open").getText().startsWith("🔴"));
        WebElement countdown = browser.find("circuit-countdown");
        browser.waitUntil(d -> countdown.isDisplayed() && countdown.getText().matches("Next probe in \\d+s"));
        int seconds = Integer.parseInt(countdown.getAttribute("data-seconds"));
        assertTrue(seconds > 0 && seconds <= 60, "counts down from the open time: " + seconds);
        browser.waitUntil(d -> Integer.parseInt(countdown.getAttribute("data-seconds")) < seconds);
        assertEquals("2 of 2", browser.find("circuit-failures").getText());
        browser.waitUntil(d -> "2".equals(d.findElement(testId("queue-failed")).getAttribute("data-count")));
        assertEquals("Resend all failed (2)", browser.find("redeliver-failed").getText());
        List<WebElement> rows = browser.waitUntil(d -> {
            List<WebElement> found = d.findElements(testId("failure-row"));
            return found.size() == 2 ? found : null;
        });
        WebElement newest = rows.getFirst();
        WebElement link = newest.findElement(testId("message-link"));
        assertEquals(second, link.getAttribute("data-id"));
        assertEquals("second", link.getText(), "the link shows the message's text");
        assertTrue(link.getAttribute("href").endsWith("/#phone=%2B" + PHONE.substring(1) + "&message=" + second),
                "a failure names its phone, so the link opens the message in its conversation: "
                        + link.getAttribute("href"));
        assertTrue(newest.getText().contains("HTTP 500"), newest.getText());
        assertEquals(first, rows.get(1).getAttribute("data-id"));
        assertTrue(rows.get(1).getText().contains("(11) 98765-4321"), rows.get(1).getText());
        String when = newest.findElement(By.tagName("time")).getAttribute("title");
        assertTrue(when.matches("(now|\\d+ seconds? ago)"), when);
        browser.screenshot("settings.png");

        browser.find("reset-circuit").click();

        assertTrue(circuitIs("closed").getText().startsWith("🟢"));
        browser.waitUntil(d -> !d.findElement(testId("circuit-countdown")).isDisplayed());
        browser.waitUntil(d -> d.findElement(testId("reset-result")).getText().startsWith("Circuit reset"));
        assertEquals("0 of 2", browser.find("circuit-failures").getText());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldResendAllFailedAndReportATestEvent() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.answer(500);
        String id = relay.sendText(PHONE, "lost");
        relay.takeWebhookRequest();
        WebElement resendAll = browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("redeliver-failed"));
            return e.getText().equals("Resend all failed (1)") && e.isEnabled() ? e : null;
        });

        relay.answer(200);
        resendAll.click();

        browser.waitUntil(d -> d.findElement(testId("redeliver-result")).getText().equals("1 message queued again."));
        RecordedRequest again = relay.takeWebhookRequest();
        assertEquals(id, again.getHeaders().get("webhook-id"));
        browser.waitUntil(d -> "1".equals(d.findElement(testId("queue-delivered")).getAttribute("data-count")));
        browser.waitUntil(d -> !d.findElement(testId("redeliver-failed")).isEnabled());

        relay.answer(200);
        browser.find("test-webhook").click();

        WebElement result = browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("test-result"));
            return e.getText().startsWith("✓ Test event delivered — HTTP 200") ? e : null;
        });
        assertTrue(result.getText().matches(".* · \\d+ ms"), result.getText());
        assertEquals("webhook.test", RunningRelay.JSON.readTree(relay.takeWebhookRequest().getBody().toByteArray())
                .get("type").asText());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowTheConfigurationInForceWithSecretsMaskedAndWhereEachValueCameFrom() throws Exception {
        start(Map.of("WEBHOOK_SECRET", "whsec_" + Base64.getEncoder().encodeToString(new byte[32])));

        WebElement table = browser.find("config-table");
        WebElement secret = browser.waitUntil(d -> table.findElement(
                By.cssSelector("[data-testid='config-row'][data-key='WEBHOOK_SECRET']")));
        assertEquals("********", secret.findElement(testId("config-value")).getText());
        assertEquals("environment", secret.findElement(testId("config-source")).getText());
        WebElement region = table.findElement(
                By.cssSelector("[data-testid='config-row'][data-key='DEFAULT_REGION']"));
        assertEquals("BR", region.findElement(testId("config-value")).getText());
        assertEquals("default", region.findElement(testId("config-source")).getText());
        WebElement token = table.findElement(
                By.cssSelector("[data-testid='config-row'][data-key='APP_TOKEN']"));
        assertEquals("(not set)", token.findElement(testId("config-value")).getText());
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldListWhatTheDemoReceiverGetsLiveAndSwitchItsMode() throws Exception {
        start(Map.of());
        WebElement panel = browser.find("demo-panel");
        browser.waitUntil(d -> panel.isDisplayed());
        assertEquals("true", browser.find("demo-mode-healthy").getAttribute("aria-pressed"));

        browser.find("demo-mode-failing").click();

        browser.waitUntil(d -> "true".equals(d.findElement(testId("demo-mode-failing")).getAttribute("aria-pressed")));
        assertEquals("false", browser.find("demo-mode-healthy").getAttribute("aria-pressed"));
        assertEquals(503, postToDemoReceiver("msg_01jdemo0000000000000000001").statusCode());
        WebElement row = browser.waitUntil(d -> d.findElement(testId("demo-row")));
        assertTrue(row.getText().contains("msg_01jdemo0000000000000000001"), row.getText());
        assertTrue(row.getText().contains("503"), row.getText());
        assertEquals("—", row.findElement(testId("demo-signature")).getText());
        browser.find("demo-mode-healthy").click();
        browser.waitUntil(d -> "true".equals(d.findElement(testId("demo-mode-healthy")).getAttribute("aria-pressed")));
        assertEquals("healthy", RunningApp.json(relay.app().get("/demo/webhook")).get("mode").asText());
        browser.assertNoConsoleErrors();
    }

    /** A webhook as the relay would send it, posted straight to the demo receiver. */
    private HttpResponse<String> postToDemoReceiver(String id) {
        String body = "{\"type\":\"message\",\"timestamp\":\"2026-11-27T15:00:00Z\",\"data\":{\"id\":\"" + id
                + "\",\"phone\":\"" + PHONE + "\",\"sequence\":1,\"text\":\"hi\"}}";
        return relay.app().send(relay.app().request("/demo/webhook")
                .header("Content-Type", "application/json").header("webhook-id", id)
                .header("webhook-timestamp", "1795791600")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void shouldLinkAFailureToItsMessageInTheChat() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.answer(200);
        relay.sendText(PHONE, "this one arrived");
        relay.takeWebhookRequest();
        relay.answer(500);
        String id = relay.sendText(PHONE, "this one failed");
        relay.takeWebhookRequest();

        browser.waitUntil(d -> d.findElement(testId("failure-row")).findElement(testId("message-link"))).click();

        browser.waitUntil(d -> "(11) 98765-4321".equals(d.findElement(testId("thread-title")).getText()));
        WebElement bubble = browser.waitUntil(d -> d.findElement(
                By.cssSelector("[data-testid='message'][data-id='" + id + "']")));
        assertEquals("failed", bubble.getAttribute("data-status"));
        assertTrue(bubble.getAttribute("class").contains("highlight"));
        assertTrue(browser.driver().getCurrentUrl().contains("phone=%2B5511987654321"), browser.driver().getCurrentUrl());
        relay.assertNoMoreWebhookRequests();
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldLinkEverySectionFromTheIndex() throws Exception {
        start(Map.of());
        browser.waitUntil(d -> d.findElement(testId("demo-panel")).isDisplayed());

        List<String> targets = browser.find("settings-index").findElements(By.cssSelector("a")).stream()
                .filter(WebElement::isDisplayed).map(a -> a.getAttribute("hash")).toList();

        assertEquals(List.of("#webhook", "#delivery", "#circuit", "#demo", "#failures", "#live-config", "#configuration"),
                targets);
        for (String target : targets) {
            assertTrue(browser.driver().findElement(By.cssSelector(target + ".card")).isDisplayed(), target);
        }
        browser.find("settings-index").findElement(By.cssSelector("a[href='#failures']")).click();
        browser.waitUntil(d -> ((Number) browser.script(
                "return document.getElementById('failures').getBoundingClientRect().top")).doubleValue() < 120);
        browser.assertNoConsoleErrors();
    }

    /**
     * A reset while the endpoint still fails: the held messages go out, fail, and open the circuit again; the page
     * says so instead of a success notice beside a red "open", and counts no more failures than the threshold.
     */
    @Test
    void shouldSayWhenAResetIsFollowedByFailuresThatOpenTheCircuitAgain() throws Exception {
        start(Map.of("CIRCUIT_FAILURE_THRESHOLD", "2", "WEBHOOK_MAX_RETRIES", "0", "CIRCUIT_OPEN_SECONDS", "60"));
        relay.answer(500);
        relay.answer(500);
        relay.sendText("+5511987650001", "first");
        relay.takeWebhookRequest();
        relay.sendText("+5511987650002", "second");
        relay.takeWebhookRequest();
        circuitIs("open");
        List<String> held = List.of(relay.sendText("+5511987650003", "held 3"),
                relay.sendText("+5511987650004", "held 4"), relay.sendText("+5511987650005", "held 5"));
        for (String id : held) {
            relay.app().awaitStatus(id, "held");
        }
        for (int i = 0; i < held.size(); i++) {
            relay.answer(500);
        }

        browser.find("reset-circuit").click();

        WebElement result = browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("reset-result"));
            return e.getText().equals("Reset; the next attempt failed again — circuit re-opened.") ? e : null;
        });
        assertTrue(result.getAttribute("class").contains("bad"), "said as a failure, not a success");
        assertTrue(circuitIs("open").getText().startsWith("🔴"));
        for (String id : held) {
            relay.app().await("/chat/messages/" + id, m -> Set.of("failed", "held").contains(m.path("status").asText()));
        }
        // Attempts already on their way when the circuit opened still count on the server (3 of 2, when all
        // three went out): once the page shows the status after all of them, it still says 2 of 2.
        String failed = RunningApp.json(relay.app().get("/chat/webhook-status")).at("/queue/failed").asText();
        browser.waitUntil(d -> failed.equals(d.findElement(testId("queue-failed")).getAttribute("data-count")));
        assertEquals("2 of 2", browser.find("circuit-failures").getText());
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldSayThatA410PausesDeliveryUntilTheCircuitIsReset() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.answer(410);
        relay.sendText(PHONE, "to a webhook that is gone");
        relay.takeWebhookRequest();

        WebElement state = browser.waitUntil(d -> {
            WebElement e = d.findElement(testId("circuit-state"));
            return "true".equals(e.getAttribute("data-paused")) ? e : null;
        });
        assertEquals("⛔ Paused until you reset", state.getText());
        assertEquals("until you reset the circuit", browser.find("circuit-open-seconds").getText());
        assertTrue(browser.find("circuit-explain").getText().contains("410 Gone"), browser.find("circuit-explain").getText());
        assertFalse(browser.find("circuit-countdown").isDisplayed(), "no countdown: only a reset ends a pause");
        // The message that got the 410 is held: a reset sends it again, and the endpoint is still gone.
        relay.answer(410);

        browser.find("reset-circuit").click();

        browser.waitUntil(d -> d.findElement(testId("reset-result")).getText()
                .equals("Reset; the webhook answered 410 Gone again — paused until you reset."));
        relay.takeWebhookRequest();
        browser.waitUntil(d -> "true".equals(d.findElement(testId("circuit-state")).getAttribute("data-paused")));
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowEachFailuresPhoneNameAndTextAndFollowARenameLive() throws Exception {
        start(Map.of("WEBHOOK_MAX_RETRIES", "0"));
        relay.nameContact(PHONE, "Ana Souza");
        relay.answer(500);
        String id = relay.sendText(PHONE, "the invoice for November");
        relay.takeWebhookRequest();

        WebElement row = browser.waitUntil(d -> d.findElement(testId("failure-row")));
        assertEquals("Ana Souza", row.findElement(testId("failure-name")).getText());
        assertTrue(row.findElement(testId("failure-to")).getText().contains("(11) 98765-4321"), row.getText());
        WebElement link = row.findElement(testId("message-link"));
        assertEquals("the invoice for November", link.getText());
        assertEquals(id, link.getAttribute("data-id"));
        assertEquals("HTTP 500", row.findElement(testId("failure-result")).getText());

        relay.nameContact(PHONE, "Ana S. (finance)");

        browser.waitUntil(d -> d.findElement(testId("failure-name")).getText().equals("Ana S. (finance)"));
        browser.assertNoConsoleErrors();
    }

    @Test
    void shouldShowADemoModeAndALanguageSwitchedInAnotherTab() throws Exception {
        start(Map.of());
        browser.waitUntil(d -> "true".equals(d.findElement(testId("demo-mode-healthy")).getAttribute("aria-pressed")));
        String first = browser.driver().getWindowHandle();
        browser.driver().switchTo().newWindow(WindowType.TAB);
        try {
            browser.open(relay.url("/settings"));
            browser.waitUntilLoaded();
            browser.find("demo-mode-gone").click();
            browser.waitUntil(d -> "true".equals(d.findElement(testId("demo-mode-gone")).getAttribute("aria-pressed")));
            new Select(browser.find("lang-switch")).selectByValue("pt-BR");
        } finally {
            browser.driver().close();
            browser.driver().switchTo().window(first);
        }

        browser.waitUntil(d -> "true".equals(d.findElement(testId("demo-mode-gone")).getAttribute("aria-pressed")));
        assertEquals("false", browser.find("demo-mode-healthy").getAttribute("aria-pressed"));
        browser.waitUntil(d -> d.findElement(By.tagName("h1")).getText().equals("Configurações"));
        browser.assertNoConsoleErrors();
    }
}
