package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The server's JSON frames. Frames that carry connections are concatenated from pre-serialized
 * connection objects in UTF-8, so a connection is serialized and encoded once however many members
 * hear of it, and an event once however many members receive it.
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

    static byte[] connection(String id, String data, long creationTime) {
        return utf8(object().put("id", id).put("data", data).put("creationTime", creationTime).toString());
    }

    static byte[] connectionCreated(long seq, ConnectionInfo connection) {
        return concat(utf8("{\"seq\":" + seq + ",\"type\":\"connectionCreated\",\"connection\":"),
                connection.json(), OBJECT_END);
    }

    static byte[] connectionDestroyed(long seq, ConnectionInfo connection, Reason reason) {
        return concat(utf8("{\"seq\":" + seq + ",\"type\":\"connectionDestroyed\",\"reason\":\""
                + reason.wireName() + "\",\"connection\":"), connection.json(), OBJECT_END);
    }

    static final byte[] EVENTS_START = utf8("{\"type\":\"events\",\"events\":[");
    static final byte[] EVENTS_END = utf8("]}");
    private static final byte[] OBJECT_END = utf8("}");

    /**
     * A {@code connected} frame in pre-serialized parts: the roster is copied from the connections'
     * own bytes when the frame is written, on the socket's event loop rather than under the session lock.
     */
    record ConnectedFrame(byte[] head, List<ConnectionInfo> roster, byte[] tail, int size) {
        void writeTo(ByteBuf out) {
            out.writeBytes(head);
            for (int i = 0; i < roster.size(); i++) {
                if (i > 0) {
                    out.writeByte(',');
                }
                out.writeBytes(roster.get(i).json());
            }
            out.writeBytes(tail);
        }
    }

    static ConnectedFrame connected(boolean resumed, String sessionId, ConnectionInfo self, String resumeToken,
                                    long seq, List<ConnectionInfo> roster, ServerConfig config) {
        byte[] head = concat(
                utf8("{\"type\":\"connected\",\"resumed\":" + resumed + ",\"sessionId\":" + quote(sessionId)
                        + ",\"connection\":"),
                self.json(),
                utf8(",\"resumeToken\":" + quote(resumeToken) + ",\"seq\":" + seq + ",\"connections\":["));
        byte[] tail = utf8("],\"heartbeat\":{\"intervalMs\":" + config.heartbeatIntervalMs()
                + ",\"timeoutMs\":" + config.heartbeatTimeoutMs()
                + "},\"grace\":{\"closedMs\":" + config.graceClosedMs()
                + ",\"silentMs\":" + config.graceSilentMs() + "}}");
        int size = head.length + tail.length + Math.max(roster.size() - 1, 0);
        for (ConnectionInfo connection : roster) {
            size += connection.json().length;
        }
        return new ConnectedFrame(head, roster, tail, size);
    }

    static String error(ErrorCode code, String message) {
        return object().put("type", "error").put("code", code.code()).put("message", message).toString();
    }

    static final String PONG = "{\"type\":\"pong\"}";

    static String disconnected(Reason reason) {
        return "{\"type\":\"disconnected\",\"reason\":\"" + reason.wireName() + "\"}";
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        int size = 0;
        for (byte[] part : parts) {
            size += part.length;
        }
        byte[] joined = new byte[size];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, joined, at, part.length);
            at += part.length;
        }
        return joined;
    }

    static String quote(String text) {
        return MAPPER.getNodeFactory().textNode(text).toString();
    }
}
