package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The server's JSON frames. Frames that carry connections are concatenated from pre-serialized
 * connection objects, so a connection is serialized once however many members hear of it.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    static String connection(String id, String data, long creationTime) {
        return object().put("id", id).put("data", data).put("creationTime", creationTime).toString();
    }

    static String connectionCreated(long seq, ConnectionInfo connection) {
        return "{\"seq\":" + seq + ",\"type\":\"connectionCreated\",\"connection\":" + connection.json() + "}";
    }

    static String connectionDestroyed(long seq, ConnectionInfo connection, Reason reason) {
        return "{\"seq\":" + seq + ",\"type\":\"connectionDestroyed\",\"reason\":\"" + reason.wireName()
                + "\",\"connection\":" + connection.json() + "}";
    }

    static final String EVENTS_START = "{\"type\":\"events\",\"events\":[";
    static final String EVENTS_END = "]}";

    static String connected(boolean resumed, String sessionId, ConnectionInfo self, String resumeToken, long seq,
                            List<ConnectionInfo> others, ServerConfig config) {
        StringBuilder json = new StringBuilder(256 + others.size() * 96);
        json.append("{\"type\":\"connected\",\"resumed\":").append(resumed)
                .append(",\"sessionId\":").append(quote(sessionId))
                .append(",\"connection\":").append(self.json())
                .append(",\"resumeToken\":").append(quote(resumeToken))
                .append(",\"seq\":").append(seq)
                .append(",\"connections\":[");
        for (int i = 0; i < others.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append(others.get(i).json());
        }
        return json.append("],\"heartbeat\":{\"intervalMs\":").append(config.heartbeatIntervalMs())
                .append(",\"timeoutMs\":").append(config.heartbeatTimeoutMs())
                .append("},\"grace\":{\"closedMs\":").append(config.graceClosedMs())
                .append(",\"silentMs\":").append(config.graceSilentMs())
                .append("}}").toString();
    }

    static String error(ErrorCode code, String message) {
        return object().put("type", "error").put("code", code.code()).put("message", message).toString();
    }

    static final String PONG = "{\"type\":\"pong\"}";

    static String disconnected(Reason reason) {
        return "{\"type\":\"disconnected\",\"reason\":\"" + reason.wireName() + "\"}";
    }

    static String quote(String text) {
        return MAPPER.getNodeFactory().textNode(text).toString();
    }
}
