package org.rollcall.server;

import io.lettuce.core.RedisCommandTimeoutException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in Redis ({@code lease.lua}), renewed every quarter of it; the same script
 * reaps the connections of nodes whose lease expired, a grace later. The renewals also tell this
 * node whether Redis is there ({@link #available}), whether it came back without its data (a new
 * instance name: the node's sessions are reset), and whether this node's own lease has lapsed.
 *
 * <p>The renewal runs on a thread of its own and on a Redis connection of its own: a join storm
 * lags the worker loops and queues thousands of scripts on the shared connection, and a renewal
 * that waited behind them let the lease expire on a live node, whose members the others then
 * reaped (issue 15). For the same reason a late renewal alone does not make this node give up its
 * members: it lapses when Redis refuses or drops its connections for a lease (a cut), or answers
 * nothing of ours for a lease and a grace (a silent cut); a slow Redis is not a lost one.
 */
final class NodeLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLease.class);

    private final RedisStore store;
    private final RedisStore leaseStore;
    private final SessionStreams streams;
    private final ServerConfig config;
    private final String node;
    private final long leaseMs;
    private final long leaseNanos;
    private final ScheduledExecutorService timer;
    private volatile boolean available = true;
    private volatile boolean renewing;
    private volatile boolean slowLogged;
    /** The last renewal failed other than by timing out on an open connection: Redis refused or dropped us. */
    private volatile boolean refused;
    private volatile String instance;
    /** When the last renewal that Redis confirmed was sent. */
    private volatile long renewedAtNanos;
    /** The lease has run out: the others may have reaped this node's members; it has closed them. */
    private volatile boolean lapsed;

    /** Takes the lease (or fails within 5 s), then keeps renewing it. */
    NodeLease(RedisStore store, String uri, Metrics metrics, SessionStreams streams, ServerConfig config,
              String node, long leaseMs) throws IOException {
        this.store = store;
        this.streams = streams;
        this.config = config;
        this.node = node;
        this.leaseMs = leaseMs;
        this.leaseNanos = TimeUnit.MILLISECONDS.toNanos(leaseMs);
        // A renewal unanswered for a lease has failed: the next one goes out then.
        leaseStore = RedisStore.forLease(uri, metrics, Duration.ofMillis(leaseMs));
        renewedAtNanos = System.nanoTime();
        try {
            leaseStore.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            leaseStore.close();
            throw new IOException("Redis did not answer: " + e.getMessage(), e);
        }
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rollcall-lease");
            thread.setDaemon(true);
            thread.setPriority(Thread.MAX_PRIORITY); // a hint only; the point is not sharing the loops
            return thread;
        });
        timer.scheduleAtFixedRate(this::renewSafely, leaseMs / 4, leaseMs / 4, TimeUnit.MILLISECONDS);
    }

    /** Whether the last renewal went through (while it does not, new connections are refused). */
    boolean available() {
        return available;
    }

    /** An exception thrown out of a scheduled task would cancel every later renewal. */
    private void renewSafely() {
        try {
            renew();
        } catch (RuntimeException e) {
            log.error("the lease renewal failed", e);
        }
    }

    /** Whether Redis answered any command of ours, on the shared connection, within the last lease. */
    private boolean redisAnswersUs(long now) {
        return now - store.answeredAtNanos() < leaseNanos;
    }

    private void renew() {
        long sentAt = System.nanoTime();
        // Lapsed when Redis refuses or drops us for a lease, or answers nothing at all for a lease
        // and a grace (by then the others may be reaping this node). Not when this node was merely
        // slow to renew (its last renewal went through, and it renews again now), nor when Redis is
        // only slow under load (it still answers our commands, or it answers nobody: a renewal
        // queued there clears any dead mark before the others' grace runs out, and a reaper queued
        // behind it cannot run first). Lapsing then would turn overload into a reconnect storm.
        long deadline = refused ? leaseNanos : leaseNanos + TimeUnit.MILLISECONDS.toNanos(config.graceSilentMs());
        if (!lapsed && (renewing || !available) && sentAt - renewedAtNanos >= deadline && !redisAnswersUs(sentAt)) {
            lapse();
        }
        if (renewing) {
            return;
        }
        renewing = true;
        leaseStore.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                .whenComplete((reply, error) -> {
                    renewing = false;
                    if (error != null) {
                        failed(error);
                        return;
                    }
                    renewed(sentAt, reply);
                });
    }

    private void failed(Throwable error) {
        // A timeout while Redis answers our other commands is load (ours, or Redis's); a refused or
        // broken connection is not.
        boolean timedOut = error instanceof RedisCommandTimeoutException || error.getCause() instanceof RedisCommandTimeoutException;
        refused = !(timedOut && store.connected());
        if (!refused && redisAnswersUs(System.nanoTime())) {
            if (!slowLogged) {
                log.warn("a lease renewal failed while Redis answers our other commands (slow under load?): {}", error.toString());
                slowLogged = true;
            }
            return;
        }
        if (available) {
            log.warn("Redis is unreachable ({}): refusing new connections until it is back", error.toString());
        }
        available = false;
    }

    private void renewed(long sentAt, List<Object> reply) {
        renewedAtNanos = sentAt;
        lapsed = false;
        refused = false;
        slowLogged = false;
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
    }

    /**
     * Redis has refused this node for a whole lease (or answered nothing for a lease and a grace):
     * the other nodes take it for dead and reap its members a grace later, so what its clients see
     * would go stale and what the others see of them is already on its way out. It closes their
     * sockets with 1023 (a retry hint): each client resumes through another node within that grace
     * and keeps its ID, or joins again after it; refused here until Redis is back. Ends in Redis are
     * retried, so a member that does not come back leaves once even if this node returns before
     * the reaper.
     */
    private void lapse() {
        lapsed = true;
        available = false;
        log.warn("this node's lease lapsed (Redis {} for {} ms): closing its connections with 1023",
                refused ? "unreachable" : "silent", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - renewedAtNanos));
        streams.sessions.values().forEach(ns -> ns.owner.execute(() -> {
            if (streams.sessions.get(ns.key) == ns) {
                streams.reset(ns, "this node's lease lapsed", true);
                streams.dropIfIdle(ns);
            }
        }));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        leaseStore.close();
    }
}
