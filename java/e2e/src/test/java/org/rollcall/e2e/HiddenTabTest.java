package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A roster page in a hidden tab whose timers are throttled as Chrome's intensive throttling does
 * it keeps its connection: the server pings it, and it answers from the message handler, which
 * browsers do not throttle. Chrome throttles that hard only after 5 minutes hidden, and not in
 * headless mode as far as we could make it, so a script that runs before the page's own wraps
 * setTimeout and setInterval to wake only on 20 s boundaries (Chrome: 60 s; 20 s is already far
 * beyond the server's 2.5 s timeout plus 1.5 s grace). The tab is also really hidden.
 */
class HiddenTabTest {
    private static final long ALIGN_MS = 20_000;
    private static final String THROTTLE = "(() => {"
            + " const align = " + ALIGN_MS + ", timeout = window.setTimeout.bind(window), interval = window.setInterval.bind(window);"
            + " const wait = ms => Math.ceil((Date.now() + Math.max(ms || 0, 1)) / align) * align - Date.now();"
            + " window.setTimeout = (fn, ms, ...args) => timeout(fn, wait(ms), ...args);"
            + " window.setInterval = (fn, ms, ...args) => interval(fn, Math.max(ms || 0, align), ...args);"
            + "})();";
    // Counts, in localStorage (shared with the other tab of the origin), the throttled wake-ups,
    // the visibility, and how often the page reconnected.
    private static final String PROBE = "localStorage.clear();"
            + "(function tick(n) { setTimeout(() => { localStorage.setItem('wakeUps', String(n)); tick(n + 1); }, 1000); })(1);"
            + "document.addEventListener('visibilitychange', () => localStorage.setItem('visibility', document.visibilityState));"
            + "new MutationObserver(() => localStorage.setItem('reconnects',"
            + " String(document.querySelectorAll('#log li[data-event=reconnecting]').length)))"
            + ".observe(document.getElementById('log'), {childList: true});";

    @Test
    void aThrottledHiddenTabStaysConnected() throws Exception {
        try (TestServer server = TestServer.start(true); Browser browser = Browser.start()) {
            String session = "hidden-" + UUID.randomUUID();
            String page = server.baseUrl() + "/?session=" + session + "&autojoin=1&name=";
            browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", THROTTLE));
            RosterPage ann = browser.open(page + "Ann");
            String annId = ann.awaitConnected();
            JavascriptExecutor js = browser.driver();
            js.executeScript(PROBE);

            browser.driver().switchTo().newWindow(WindowType.TAB); // Ann's tab is now hidden
            RosterPage bob = browser.open(page + "Bob");
            bob.awaitConnected();
            bob.awaitCount(2);
            assertEquals("hidden", js.executeScript("return localStorage.getItem('visibility');"));

            // Three throttled wake-ups of Ann's timers: 40 s or more in which she could only have
            // kept her connection by answering the server's pings as they came.
            new WebDriverWait(browser.driver(), Duration.ofMillis(4 * ALIGN_MS), Duration.ofSeconds(1))
                    .until(d -> Long.parseLong(String.valueOf(js.executeScript(
                            "return localStorage.getItem('wakeUps') ?? '0';"))) >= 3);

            assertTrue(bob.logEntries("destroyed", annId).isEmpty(), "Bob saw Ann leave: " + bob.logText());
            assertEquals(2, bob.count());
            assertEquals("0", String.valueOf(js.executeScript("return localStorage.getItem('reconnects') ?? '0';")),
                    "Ann's hidden page reconnected");
        }
    }
}
