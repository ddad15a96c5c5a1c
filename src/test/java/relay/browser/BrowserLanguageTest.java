package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.browser.Browser.testId;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/** A browser set to Brazilian Portuguese gets the pages in Portuguese, and the switch is remembered. */
@Tag("browser")
class BrowserLanguageTest extends BrowserTest {
    @BeforeAll
    static void startBrowser() throws IOException {
        openBrowser("pt-BR");
    }

    @BeforeEach
    void start() throws IOException {
        startRelay(Map.of());
    }

    @Test
    void shouldSpeakPortugueseToAPortugueseBrowserAndRememberASwitchToEnglish() {
        browser.open(relay.url("/"));
        browser.waitUntilLoaded();
        assertEquals("pt-BR", browser.driver().findElement(By.tagName("html")).getAttribute("lang"));
        assertEquals("Novo chat: telefone", browser.driver().findElement(By.cssSelector("label[for='new-chat-phone']")).getText());
        assertTrue(browser.find("placeholder").getText().endsWith("Escolha uma conversa ou inicie um novo chat."));
        WebElement phone = browser.find("new-chat-phone");
        assertEquals("ex.: (11) 99999-9999", phone.getAttribute("placeholder"));
        phone.sendKeys("12345");
        browser.waitUntil(d -> d.findElement(testId("new-chat-hint")).getText()
                .equals("Este não é um número de telefone válido."));

        browser.open(relay.url("/settings"));
        browser.waitUntilLoaded();
        assertEquals("Configurações", browser.driver().findElement(By.tagName("h1")).getText());
        assertEquals("Entrega", browser.driver().findElement(By.cssSelector("#settings-index a[href='#delivery']")).getText());
        assertEquals("🔄 Reiniciar circuito", browser.find("reset-circuit").getText());
        assertEquals("Reenviar todas com falha (0)", browser.find("redeliver-failed").getText());
        browser.waitUntil(d -> d.findElement(testId("circuit-state")).getText().equals("🟢 Fechado — entregando"));
        WebElement region = browser.find("config-table")
                .findElement(By.cssSelector("[data-testid='config-row'][data-key='DEFAULT_REGION']"));
        assertEquals("padrão", region.findElement(testId("config-source")).getText());
        assertEquals("nunca", browser.find("last-success").getText());

        new Select(browser.find("lang-switch")).selectByValue("en");

        assertEquals("Settings", browser.driver().findElement(By.tagName("h1")).getText());
        assertEquals("🟢 Closed — delivering", browser.find("circuit-state").getText());
        browser.open(relay.url("/"));
        browser.waitUntilLoaded();
        assertEquals("en", browser.driver().findElement(By.tagName("html")).getAttribute("lang"));
        assertEquals("New chat: phone number",
                browser.driver().findElement(By.cssSelector("label[for='new-chat-phone']")).getText());
        new Select(browser.find("lang-switch")).selectByValue("pt-BR");
        assertEquals("Novo chat: telefone", browser.driver().findElement(By.cssSelector("label[for='new-chat-phone']")).getText());

        List<String> errors = browser.consoleErrors().stream()
                .filter(e -> !e.contains("the server responded with a status of 400")).toList();
        assertEquals(List.of(), errors, "only the refused phone check, which the test provoked, failed");
    }
}
