package relay.browser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What every page test stands on: one headless Chromium per test class, and the real app started per test. */
abstract class BrowserTest {
    static Browser browser;

    @TempDir
    Path dir;

    RunningRelay relay;

    /** Starts the class's browser speaking {@code language}; call it from the class's {@code @BeforeAll}. */
    static void openBrowser(String language) throws IOException {
        browser = Browser.start(language);
    }

    @AfterAll
    static void closeBrowser() {
        browser.close();
    }

    /** Starts the app with these settings, and forgets the console so far so a test sees only its own errors. */
    void startRelay(Map<String, String> overrides) throws IOException {
        relay = RunningRelay.start(dir.resolve("data"), overrides);
        browser.consoleErrors();
    }

    @AfterEach
    void stopRelay() throws IOException {
        // Leave the page first, or its event stream would retry against the stopped app and log errors.
        browser.open("about:blank");
        if (relay != null) {
            relay.close();
        }
    }
}
