package org.rollcall.harness;

import java.time.Instant;

/** Wall-clock nanoseconds since the epoch: the time base otc-load uses (CLOCK_REALTIME). */
final class Clock {
    private Clock() {
    }

    static long nowNs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
