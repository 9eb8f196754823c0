package org.rollcall.server;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections removed through the admin API, and their tokens, until the token expires: so that a
 * removal sticks across a resume (the client may have been in its grace) and across a new connect
 * with the same token. Keyed by connection ID and by the token's nonce.
 */
final class Tombstones {
    private final ConcurrentHashMap<String, Long> removedConnections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> revokedNonces = new ConcurrentHashMap<>();

    void remove(String connectionId, String nonce, long untilMs) {
        removedConnections.put(connectionId, untilMs);
        revokedNonces.put(nonce, untilMs);
    }

    boolean isRemoved(String connectionId) {
        return live(removedConnections.get(connectionId));
    }

    boolean isRevoked(String nonce) {
        return live(revokedNonces.get(nonce));
    }

    void sweep() {
        long now = System.currentTimeMillis();
        removedConnections.values().removeIf(until -> until < now);
        revokedNonces.values().removeIf(until -> until < now);
    }

    private static boolean live(Long untilMs) {
        return untilMs != null && untilMs >= System.currentTimeMillis();
    }
}
