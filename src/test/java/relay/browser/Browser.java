package relay.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.devtools.DevTools;
import org.openqa.selenium.devtools.v156.emulation.Emulation;
import org.openqa.selenium.devtools.v156.network.Network;
import org.openqa.selenium.devtools.v156.network.model.NetworkConditions;
import org.openqa.selenium.devtools.v156.page.Page;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium, Debian's own, driven through Debian's chromedriver with a fresh profile in a temp
 * folder. Both paths are given explicitly so Selenium Manager never runs (the machine has no outside network).
 * Public for {@code make bench}, which times the chat page in the same browser the tests drive.
 */
public final class Browser implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final int WIDTH = 1280;
    static final int HEIGHT = 800;

    private final ChromeDriver driver;
    private final Path profile;
    private DevTools devTools;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** @param language the browser's language, e.g. {@code en-US} or {@code pt-BR} */
    public static Browser start(String language) throws IOException {
        Path profile = Files.createTempDirectory("relay-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-extensions", "--window-size=" + WIDTH + "," + HEIGHT, "--lang=" + language,
                "--user-data-dir=" + profile);
        options.setExperimentalOption("prefs", Map.of("intl.accept_languages", language));
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logging);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(new File(profile.toFile(), "chromedriver.log"))
                .build();
        try {
            ChromeDriver driver = new ChromeDriver(service, options);
            Browser browser = new Browser(driver, profile);
            browser.setViewport(WIDTH, HEIGHT);
            return browser;
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    /** Sizes the window so the page itself (not the window with its frame) is width × height. */
    void setViewport(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
        long extraWidth = ((Number) script("return window.outerWidth - window.innerWidth")).longValue();
        long extraHeight = ((Number) script("return window.outerHeight - window.innerHeight")).longValue();
        driver.manage().window().setSize(new Dimension(width + (int) extraWidth, height + (int) extraHeight));
    }

    /** Makes the page see a phone's screen (a window cannot be made that narrow), as DevTools' device mode does. */
    void emulatePhone(int width, int height) {
        devTools().send(Emulation.setDeviceMetricsOverride(width, height, 2, true, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()));
    }

    void stopEmulatingPhone() {
        devTools().send(Emulation.clearDeviceMetricsOverride());
    }

    WebDriver driver() {
        return driver;
    }

    public void open(String url) {
        driver.get(url);
    }

    static By testId(String id) {
        return By.cssSelector("[data-testid='" + id + "']");
    }

    WebElement find(String testId) {
        return waitUntil(d -> d.findElement(testId(testId)));
    }

    /** Waits (polling every 50 ms, so short-lived states are seen) until the condition gives a value or true. */
    public <T> T waitUntil(Function<WebDriver, T> condition) {
        return waitUntil(WAIT, condition);
    }

    /** As {@link #waitUntil(Function)}, failing unless the condition holds {@code within} from now. */
    <T> T waitUntil(Duration within, Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(driver, within, Duration.ofMillis(50))
                    .ignoring(StaleElementReferenceException.class)
                    .until(condition);
        } catch (TimeoutException e) {
            try {
                e.addSuppressed(new AssertionError("the page at that moment: " + screenshot("timeout-"
                        + System.nanoTime() + ".png").toAbsolutePath()));
            } catch (IOException | RuntimeException ignored) {
                // the timeout is what matters
            }
            throw e;
        }
    }

    /** Waits until the page has shown the server's data once (it marks its body with data-loaded). */
    public void waitUntilLoaded() {
        waitUntil(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-loaded")));
    }

    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** Runs {@code js} with a callback as its last argument; returns what it was called with. */
    public Object asyncScript(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(js, args);
    }

    /** A Chrome DevTools session on the page, opened once. */
    DevTools devTools() {
        if (devTools == null) {
            devTools = driver.getDevTools();
            devTools.createSession();
        }
        return devTools;
    }

    /** Limits how fast the page may upload (bytes per second), through the DevTools network emulation. */
    void throttleUploads(long bytesPerSecond) {
        devTools().send(Network.enable(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty()));
        // An empty URL pattern matches every request of the page.
        NetworkConditions slowUploads = new NetworkConditions("", 0, -1, bytesPerSecond, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        devTools().send(Network.emulateNetworkConditionsByRule(Optional.of(false), Optional.empty(),
                List.of(slowUploads)));
    }

    /**
     * Records the type of every JavaScript dialog the page opens from now on ({@code alert}, {@code beforeunload}…).
     * A WebDriver session never shows a beforeunload prompt (the driver accepts it at once, as the standard says), so
     * DevTools is where a test sees that the page asked before being left.
     */
    List<String> recordDialogs() {
        devTools().send(Page.enable(Optional.empty()));
        List<String> dialogs = new CopyOnWriteArrayList<>();
        devTools().addListener(Page.javascriptDialogOpening(), dialog -> dialogs.add(dialog.getType().toString()));
        return dialogs;
    }

    void stopThrottling() {
        devTools().send(Network.emulateNetworkConditionsByRule(Optional.of(false), Optional.empty(), List.of()));
        devTools().send(Network.disable());
    }

    /** The browser console's errors since the last call (console.error, uncaught exceptions, CSP refusals, failed loads). */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }

    void assertNoConsoleErrors() {
        assertEquals(List.of(), consoleErrors(), "the browser console has errors");
    }

    /**
     * Saves a PNG of the window. Written to target/screenshots, or to the folder named by the system property
     * {@code screenshots.dir} (e.g. {@code -Dscreenshots.dir=docs} to refresh the README's pictures), so a
     * normal test run leaves the committed pictures alone.
     */
    Path screenshot(String name) throws IOException {
        Path dir = Path.of(System.getProperty("screenshots.dir", "target/screenshots"));
        Files.createDirectories(dir);
        Path file = dir.resolve(name);
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    @Override
    public void close() {
        try {
            if (devTools != null) {
                devTools.close();
            }
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a left-over temp profile is harmless
        }
    }
}
