package org.rollcall.server;

/**
 * A connection as others see it. {@code json} is its connection object, serialized once and
 * reused in every event and roster that mentions it.
 */
public record ConnectionInfo(String id, String data, long creationTime, String json) {
    public static ConnectionInfo of(String id, String data, long creationTime) {
        return new ConnectionInfo(id, data, creationTime, Json.connection(id, data, creationTime));
    }
}
