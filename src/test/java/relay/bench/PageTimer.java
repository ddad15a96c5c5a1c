package relay.bench;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import relay.browser.Browser;

/**
 * Times the chat page from inside the page, in the headless Chromium the browser tests drive, from a fresh profile
 * (nothing cached, nothing stored: the page's first visit). The page puts two User Timing marks:
 * {@code relay:first-conversation} once, when the list's first row is in the document, and {@code relay:thread-ready}
 * each time a thread has loaded with its newest message in the document; and its rows and bubbles carry
 * {@code elementtiming}, so the browser also tells when they were first painted. Times are the page's own clock:
 * milliseconds since navigation start ({@code performance.timeOrigin}) for the list, since the click on the
 * conversation's row for the thread.
 */
final class PageTimer {
    private static final String FIRST_CONVERSATION = "relay:first-conversation";
    private static final String THREAD_READY = "relay:thread-ready";
    private static final String ROW_PAINT = "relay:conversation";
    private static final String BUBBLE_PAINT = "relay:message";

    /**
     * @param pageReadyMs    navigation start to the first conversation painted in the list
     * @param listedMs       navigation start to the first conversation in the document (the mark)
     * @param threadReadyMs  click on the conversation's row to its messages painted in the thread
     * @param threadShownMs  click to its newest message in the document (the mark)
     * @param timeline       where the time went, for results.json: the navigation's and the requests' moments (ms)
     */
    record Load(double pageReadyMs, double listedMs, double threadReadyMs, double threadShownMs,
                Map<String, Object> timeline) {
    }

    private PageTimer() {
    }

    /** Opens {@code page} in a new browser, waits for the first conversation, then opens {@code threadPhone}'s. */
    static Load coldLoad(URI page, String threadPhone) throws IOException {
        try (Browser browser = Browser.start("en-US")) {
            browser.open(page.toString());
            double listed = browser.waitUntil(d -> markTime(browser, FIRST_CONVERSATION, null, 0));
            double painted = browser.waitUntil(d -> paintTime(browser, ROW_PAINT, 0));
            // The operator clicks once the page has shown its data; the click is timed in the page, as the mark is.
            browser.waitUntilLoaded();
            double clickedAt = ((Number) browser.script("""
                    const row = document.querySelector(`[data-testid=conversation][data-phone="${arguments[0]}"]`);
                    const at = performance.now();
                    row.click();
                    return at;""", threadPhone)).doubleValue();
            double shown = browser.waitUntil(d -> markTime(browser, THREAD_READY, threadPhone, clickedAt));
            double threadPainted = browser.waitUntil(d -> paintTime(browser, BUBBLE_PAINT, clickedAt));
            return new Load(painted, listed, threadPainted - clickedAt, shown - clickedAt, timeline(browser));
        }
    }

    /** The first mark {@code name} (of {@code phone}, when given) after {@code after}, or null while there is none. */
    private static Double markTime(Browser browser, String name, String phone, double after) {
        Object at = browser.script("""
                const mark = performance.getEntriesByName(arguments[0], 'mark')
                  .find((m) => m.startTime >= arguments[2] && (arguments[1] === null || m.detail?.phone === arguments[1]));
                return mark ? mark.startTime : null;""", name, phone, after);
        return at == null ? null : ((Number) at).doubleValue();
    }

    /**
     * When the browser first painted an element marked {@code elementtiming=name}, after {@code after}; null while
     * none is. Element Timing entries reach only an observer (with the ones before it as "buffered").
     */
    private static Double paintTime(Browser browser, String name, double after) {
        Object at = browser.asyncScript("""
                const [name, after, done] = arguments;
                const timer = setTimeout(() => done(null), 200);
                new PerformanceObserver((list, observer) => {
                  const times = list.getEntries().filter((e) => e.identifier === name && e.renderTime >= after)
                    .map((e) => e.renderTime);
                  if (!times.length) return;
                  observer.disconnect();
                  clearTimeout(timer);
                  done(Math.min(...times));
                }).observe({ type: 'element', buffered: true });""", name, after);
        return at == null ? null : ((Number) at).doubleValue();
    }

    /** The navigation's milestones, paint, and each request's start and end, in ms since navigation start. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> timeline(Browser browser) {
        return new LinkedHashMap<>((Map<String, Object>) browser.script("""
                const nav = performance.getEntriesByType('navigation')[0];
                const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
                return {
                  document_response_end: nav.responseEnd,
                  dom_interactive: nav.domInteractive,
                  dom_content_loaded: nav.domContentLoadedEventEnd,
                  load_event_end: nav.loadEventEnd,
                  first_paint: paint['first-paint'] ?? null,
                  first_contentful_paint: paint['first-contentful-paint'] ?? null,
                  requests: performance.getEntriesByType('resource').map((r) => ({
                    name: r.name.replace(location.origin, ''), start: r.startTime, end: r.responseEnd,
                    bytes: r.encodedBodySize })),
                };"""));
    }
}
