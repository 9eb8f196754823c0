package org.rollcall.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** New WebSocket connections per remote address. Full buckets are swept, so the map stays small. */
final class ConnectRateLimiter {
    private static final Logger log = LoggerFactory.getLogger(ConnectRateLimiter.class);
    private final double rate;
    private final int burst;
    private final ConcurrentHashMap<InetAddress, TokenBucket> buckets = new ConcurrentHashMap<>();

    ConnectRateLimiter(double rate, int burst) {
        this.rate = rate;
        this.burst = burst;
    }

    boolean tryAcquire(InetAddress address) {
        TokenBucket bucket = buckets.computeIfAbsent(address, a -> new TokenBucket(rate, burst));
        if (bucket.tryTake()) {
            return true;
        }
        if (bucket.markWarned()) {
            log.warn("{}: error 1023: new connections over {}/s (burst {}); refusing until it slows down",
                    address.getHostAddress(), rate, burst);
        }
        return false;
    }

    /** Forgets addresses whose bucket has refilled: they are as good as new. */
    void sweep() {
        buckets.values().removeIf(TokenBucket::isFull);
    }
}
