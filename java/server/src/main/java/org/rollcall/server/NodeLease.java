package org.rollcall.server;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in Redis ({@code lease.lua}), renewed every quarter of it; the same script
 * reaps the connections of nodes whose lease expired, a grace later. The renewals also tell this
 * node whether Redis is there ({@link #available}), whether it came back without its data (a new
 * instance name: the node's sessions are reset), and whether this node's own lease has lapsed.
 */
final class NodeLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLease.class);

    private final RedisStore store;
    private final SessionStreams streams;
    private final ServerConfig config;
    private final String node;
    private final long leaseMs;
    private final ScheduledFuture<?> task;
    private volatile boolean available = true;
    private volatile boolean renewing;
    private volatile String instance;
    /** When the last renewal that Redis confirmed was sent. */
    private volatile long renewedAtNanos;
    /** The lease has run out: the others may have reaped this node's members; it has closed them. */
    private volatile boolean lapsed;

    /** Takes the lease (or fails within 5 s), then keeps renewing it. */
    NodeLease(RedisStore store, SessionStreams streams, ServerConfig config, String node, long leaseMs,
              EventLoopGroup group) throws IOException {
        this.store = store;
        this.streams = streams;
        this.config = config;
        this.node = node;
        this.leaseMs = leaseMs;
        renewedAtNanos = System.nanoTime();
        try {
            store.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("Redis did not answer: " + e.getMessage(), e);
        }
        task = group.scheduleAtFixedRate(this::renew, 0, leaseMs / 4, TimeUnit.MILLISECONDS);
    }

    /** Whether the last renewal went through (while it does not, new connections are refused). */
    boolean available() {
        return available;
    }

    private void renew() {
        long sentAt = System.nanoTime();
        // Lapsed while Redis fails or does not answer; not when this node was merely slow to
        // renew (a stall): its last renewal then went through, and it renews again now.
        if (!lapsed && (renewing || !available) && sentAt - renewedAtNanos >= TimeUnit.MILLISECONDS.toNanos(leaseMs)) {
            lapse();
        }
        if (renewing) {
            return;
        }
        renewing = true;
        store.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                .whenComplete((reply, error) -> {
                    renewing = false;
                    if (error != null) {
                        if (available) {
                            log.warn("Redis is unreachable ({}): refusing new connections until it is back", error.toString());
                        }
                        available = false;
                        return;
                    }
                    renewedAtNanos = sentAt;
                    lapsed = false;
                    String now = RedisReplies.text(reply.get(0));
                    if ((Long) reply.get(1) > 0) {
                        log.warn("ended {} connections of nodes whose lease expired", reply.get(1));
                    }
                    boolean wasAway = !available;
                    if (instance != null && !instance.equals(now)) {
                        log.warn("Redis lost its data (a restart?): ending this node's connections there");
                        streams.sessions.values().forEach(ns -> ns.owner.execute(() -> {
                            streams.reset(ns, "Redis lost its data");
                            streams.dropIfIdle(ns);
                        }));
                    } else if (wasAway) {
                        log.warn("Redis is back");
                        streams.sessions.values().forEach(ns -> ns.owner.execute(() -> streams.catchUp(ns)));
                    }
                    instance = now;
                    available = true;
                });
    }

    /**
     * Redis has not confirmed this node's lease for a whole lease: the other nodes take it for dead
     * and reap its members a grace later, so what its clients see would go stale and what the
     * others see of them is already on its way out. It closes their sockets with 1023 (a retry
     * hint): each client resumes through another node within that grace and keeps its ID, or
     * joins again after it; refused here until Redis is back. Ends in Redis are retried, so a
     * member that does not come back leaves once even if this node returns before the reaper.
     */
    private void lapse() {
        lapsed = true;
        available = false;
        log.warn("this node's lease lapsed (Redis unreachable for {} ms): closing its connections with 1023", leaseMs);
        streams.sessions.values().forEach(ns -> ns.owner.execute(() -> {
            if (streams.sessions.get(ns.key) == ns) {
                streams.reset(ns, "this node's lease lapsed", true);
                streams.dropIfIdle(ns);
            }
        }));
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
