package org.rollcall.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * At most one WARN per remote address per interval. A flood from one address logs its first
 * line, then one line per interval that says how many were suppressed meanwhile; other addresses
 * are not affected. Every text argument is {@linkplain LogText#escape escaped}. Thread-safe.
 *
 * <p>Memory is bounded: past {@link #MAX_ADDRESSES} tracked addresses, the rest share one window.
 */
final class AddressWarnings {
    static final int MAX_ADDRESSES = 10_000;
    private static final String OTHERS = "other addresses";

    private final long intervalNanos;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private volatile long nextSweep;

    /** One address's interval: when it began and how many lines it swallowed. */
    private static final class Window {
        final long start;
        int suppressed;

        Window(long start) {
            this.start = start;
        }
    }

    AddressWarnings(long intervalMs) {
        this.intervalNanos = intervalMs * 1_000_000L;
        this.nextSweep = System.nanoTime() + intervalNanos;
    }

    /**
     * Logs {@code "<address>: " + format} at WARN unless this address already had a line in the
     * current interval. {@code format} is the code's own constant; the arguments may be anything.
     */
    void warn(Logger log, SocketAddress remote, String format, Object... args) {
        if (!log.isWarnEnabled()) {
            return;
        }
        String address = host(remote);
        long now = System.nanoTime();
        sweepIfDue(log, now);
        String key = windows.size() >= MAX_ADDRESSES && !windows.containsKey(address) ? OTHERS : address;
        int[] suppressedBefore = {-1};
        windows.compute(key, (k, window) -> {
            if (window == null || now - window.start >= intervalNanos) {
                suppressedBefore[0] = window == null ? 0 : window.suppressed;
                return new Window(now);
            }
            window.suppressed++;
            return window;
        });
        if (suppressedBefore[0] < 0) {
            return;
        }
        Object[] safe = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            safe[i] = args[i] instanceof CharSequence text ? LogText.escape(text) : args[i];
        }
        String suffix = suppressedBefore[0] == 0 ? ""
                : " (" + suppressedBefore[0] + " more warnings from " + key + " suppressed in the previous interval)";
        log.warn(LogText.escape(address) + ": " + format + suffix, safe);
    }

    /** Forgets finished intervals, and reports what they had swallowed. */
    private void sweepIfDue(Logger log, long now) {
        if (now - nextSweep < 0) {
            return;
        }
        nextSweep = now + intervalNanos;
        windows.forEach((address, window) -> {
            if (now - window.start >= intervalNanos && windows.remove(address, window) && window.suppressed > 0) {
                log.warn("{}: {} more warnings suppressed in the last interval", LogText.escape(address), window.suppressed);
            }
        });
    }

    static String host(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            InetAddress address = inet.getAddress();
            return address != null ? address.getHostAddress() : inet.getHostString();
        }
        return String.valueOf(remote);
    }
}
