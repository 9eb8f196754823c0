package org.rollcall.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed admin logins per remote address: {@code burst} at once, then {@code ratePerSecond}.
 * While an address has none left, every admin request from it gets 429, whatever its credentials,
 * so that a guesser learns nothing from the answer. Full buckets are swept as the map grows.
 */
final class LoginThrottle {
    private static final int SWEEP_AT = 1024;

    private final double ratePerSecond;
    private final int burst;
    private final ConcurrentHashMap<InetAddress, TokenBucket> failures = new ConcurrentHashMap<>();

    LoginThrottle(double ratePerSecond, int burst) {
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
    }

    /** Whether this address may try to log in now. */
    boolean allowed(InetAddress address) {
        TokenBucket bucket = failures.get(address);
        return bucket == null || bucket.hasToken();
    }

    /** Counts one failed login. */
    void failed(InetAddress address) {
        if (failures.size() >= SWEEP_AT) {
            failures.values().removeIf(TokenBucket::isFull);
        }
        failures.computeIfAbsent(address, a -> new TokenBucket(ratePerSecond, burst)).tryTake();
    }

    /** Seconds until this address may try again: what {@code Retry-After} says. */
    long retryAfterSeconds() {
        return Math.max(1, (long) Math.ceil(1 / ratePerSecond));
    }
}
