package org.rollcall.server;

/** Why a connection left, as sent in {@code connectionDestroyed}. */
public enum Reason {
    CLIENT_DISCONNECTED("clientDisconnected"),
    NETWORK_DISCONNECTED("networkDisconnected"),
    FORCE_DISCONNECTED("forceDisconnected");

    private final String wireName;

    Reason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
