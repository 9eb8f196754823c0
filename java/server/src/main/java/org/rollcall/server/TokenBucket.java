package org.rollcall.server;

/** A rate limit: {@code burst} at once, refilled at {@code ratePerSecond}. */
final class TokenBucket {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long lastRefill;
    private boolean warned;

    TokenBucket(double ratePerSecond, double burst) {
        this.perNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefill = System.nanoTime();
    }

    synchronized boolean tryTake() {
        refill();
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** Whether a {@link #tryTake()} would succeed now; takes nothing. */
    synchronized boolean hasToken() {
        refill();
        return tokens >= 1;
    }

    /** True the first time only: whoever runs it dry is told once. */
    synchronized boolean markWarned() {
        boolean first = !warned;
        warned = true;
        return first;
    }

    synchronized boolean isFull() {
        refill();
        return tokens >= burst;
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - lastRefill) * perNano);
        lastRefill = now;
    }
}
