package org.rollcall.server;

import java.util.Objects;

/**
 * Serving a session from several nodes through Redis ({@code rollcall serve --redis}).
 *
 * @param uri     {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS
 * @param nodeId  this node's name in Redis and in logs; each start adds a random suffix, so a node
 *                that restarts fast is never taken for its previous life
 * @param leaseMs how long this node's lease lasts unrenewed (it renews every quarter of it); a node
 *                silent that long is dead, and its connections end a grace (the silent one) later
 */
public record RedisConfig(String uri, String nodeId, long leaseMs) {
    public static final long DEFAULT_LEASE_MS = 2000;

    public RedisConfig {
        Objects.requireNonNull(uri);
        if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
            throw new IllegalArgumentException("the Redis URI must start with redis:// or rediss://");
        }
        if (leaseMs < 200) {
            throw new IllegalArgumentException("the lease must be at least 200 ms");
        }
    }

    public static RedisConfig of(String uri, String nodeId) {
        return new RedisConfig(uri, nodeId, DEFAULT_LEASE_MS);
    }
}
