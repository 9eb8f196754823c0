package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A connection as others see it. {@code json} is its connection object in UTF-8, serialized once
 * and copied as is into every event and roster that mentions it (do not modify it). Its data and
 * creation time are kept only there, read back on demand: every member holds one of these, and
 * the data's own string cost each ~50 B (issue 10: heap per idle connection); the server never reads them.
 */
public record ConnectionInfo(String id, byte[] json) {
    public static ConnectionInfo of(String id, String data, long creationTime) {
        return new ConnectionInfo(id, Json.connection(id, data, creationTime));
    }

    /** The connection's data, parsed from {@link #json}. */
    public String data() {
        return field("data").asText();
    }

    /** When the connection was created (ms since the epoch), parsed from {@link #json}. */
    public long creationTime() {
        return field("creationTime").asLong();
    }

    private com.fasterxml.jackson.databind.JsonNode field(String name) {
        try {
            return Json.parse(new String(json, StandardCharsets.UTF_8)).path(name);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
