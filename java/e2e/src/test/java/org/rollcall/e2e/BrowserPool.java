package org.rollcall.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * Browsers shared by all tests of the run, one page each: Chromium takes seconds to start on two
 * cores. A test opens pages with {@link #open}; {@link #releaseAll} (after each test) navigates
 * them away, which makes each page leave its session.
 */
final class BrowserPool {
    private static final List<Browser> browsers = new ArrayList<>();
    private static int inUse;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(BrowserPool::closeAll, "browser-pool-close"));
    }

    private BrowserPool() {
    }

    static synchronized RosterPage open(String url) {
        if (inUse == browsers.size()) {
            browsers.add(Browser.start());
        }
        return browsers.get(inUse++).open(url);
    }

    static synchronized void releaseAll() {
        for (int i = 0; i < inUse; i++) {
            browsers.get(i).driver().get("about:blank");
        }
        inUse = 0;
    }

    private static synchronized void closeAll() {
        browsers.forEach(Browser::close);
        browsers.clear();
    }
}
