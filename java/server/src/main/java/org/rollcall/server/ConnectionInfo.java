package org.rollcall.server;

/**
 * A connection as others see it. {@code json} is its connection object in UTF-8, serialized once
 * and copied as is into every event and roster that mentions it (do not modify it).
 */
public record ConnectionInfo(String id, String data, long creationTime, byte[] json) {
    public static ConnectionInfo of(String id, String data, long creationTime) {
        return new ConnectionInfo(id, data, creationTime, Json.connection(id, data, creationTime));
    }
}
