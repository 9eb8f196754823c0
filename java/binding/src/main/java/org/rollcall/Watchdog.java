package org.rollcall;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one WARN for each listener call that holds its thread longer than {@link #LIMIT_MS}: on a
 * delivery thread it delays its own session's events; on the library thread (direct delivery) it
 * delays every session of the JVM, and past the heartbeat timeout the server drops them all.
 */
final class Watchdog {
    static final long LIMIT_MS = 100;
    private static final long PERIOD_MS = 25;
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    private Watchdog() {
    }

    /** Starts watching the dispatchers that {@code live} returns, on one daemon thread. */
    static void start(Supplier<Iterable<Dispatcher>> live) {
        // A plain loop that survives anything (a scheduled task stops for good at its first throw).
        Thread thread = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(PERIOD_MS);
                    check(live.get());
                } catch (Throwable t) {
                    // e.g. out of memory: try again next round
                }
            }
        }, "rollcall-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A call counts as held from the first round that sees it running, so the WARN comes between
     * {@link #LIMIT_MS} and {@link #LIMIT_MS} + {@link #PERIOD_MS} after the call started: the
     * listener's thread reads no clock.
     */
    private static void check(Iterable<Dispatcher> dispatchers) {
        try {
            long now = System.nanoTime();
            for (Dispatcher dispatcher : dispatchers) {
                Thread thread = dispatcher.runningOn();
                long call = dispatcher.callsStarted();
                if (thread == null) {
                    dispatcher.watchedCall = -1;
                    continue;
                }
                if (call != dispatcher.watchedCall) {
                    dispatcher.watchedCall = call;
                    dispatcher.watchedSince = now;
                    continue;
                }
                if (dispatcher.warnedCall == call
                        || now - dispatcher.watchedSince < TimeUnit.MILLISECONDS.toNanos(LIMIT_MS)) {
                    continue;
                }
                dispatcher.warnedCall = call;
                log.warn("A listener of session {} has held thread {} for more than {} ms; {}", dispatcher.sessionId,
                        thread.getName(), LIMIT_MS, dispatcher.isDirect()
                                ? "it runs on libotc's library thread, so every session of the JVM waits for it"
                                : "the events of this session wait for it");
            }
        } catch (Throwable t) {
            // A watchdog that dies would be worse than one that misses a round.
        }
    }
}
