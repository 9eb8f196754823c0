package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
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
     * A {@code connected} frame in pre-serialized parts. The roster (absent from a replaying resume)
     * is copied from the connections' own bytes only when the frame is written, on the socket's
     * event loop and as the socket drains: see {@link Outbox}.
     */
    record ConnectedFrame(byte[] head, List<ConnectionInfo> roster, byte[] tail, int size) {
    }

    /** How a {@code connected} frame brings the client up to date. */
    enum Catchup { JOIN, REPLAY, SNAPSHOT }

    static ConnectedFrame connected(int protocol, Catchup catchup, String sessionId, ConnectionInfo self,
                                    String resumeToken, long epoch, long seq, List<ConnectionInfo> roster,
                                    ServerConfig config) {
        String mode = switch (catchup) {
            case JOIN -> "\"resumed\":false";
            case REPLAY -> "\"resumed\":true,\"replay\":true";
            case SNAPSHOT -> "\"resumed\":true,\"snapshot\":true";
        };
        boolean withRoster = catchup != Catchup.REPLAY;
        byte[] head = concat(
                utf8("{\"type\":\"connected\",\"protocol\":" + protocol + "," + mode
                        + ",\"sessionId\":" + quote(sessionId) + ",\"connection\":"),
                self.json(),
                utf8(",\"resumeToken\":" + quote(resumeToken) + ",\"epoch\":" + epoch + ",\"seq\":" + seq
                        + (withRoster ? ",\"connections\":[" : "")));
        byte[] tail = utf8((withRoster ? "]" : "") + ",\"heartbeat\":{\"intervalMs\":" + config.heartbeatIntervalMs()
                + ",\"timeoutMs\":" + config.heartbeatTimeoutMs()
                + "},\"grace\":{\"closedMs\":" + config.graceClosedMs()
                + ",\"silentMs\":" + config.graceSilentMs() + "}}");
        List<ConnectionInfo> shown = withRoster ? roster : List.of();
        int size = head.length + tail.length + Math.max(shown.size() - 1, 0);
        for (ConnectionInfo connection : shown) {
            size += connection.json().length;
        }
        return new ConnectedFrame(head, shown, tail, size);
    }

    /**
     * One {@code events} frame, WebSocket header included, holding {@code events[from, to)}: encoded
     * once and shared by every member that receives exactly these events.
     */
    static ByteBuf eventsFrame(ByteBufAllocator alloc, List<byte[]> events, int from, int to) {
        long payload = EVENTS_START.length + EVENTS_END.length + (to - from - 1);
        for (int i = from; i < to; i++) {
            payload += events.get(i).length;
        }
        ByteBuf frame = alloc.directBuffer((int) (WsFrames.headerLength(payload) + payload));
        WsFrames.writeHeader(frame, WsFrames.OPCODE_TEXT, true, payload);
        frame.writeBytes(EVENTS_START);
        for (int i = from; i < to; i++) {
            if (i > from) {
                frame.writeByte(',');
            }
            frame.writeBytes(events.get(i));
        }
        return frame.writeBytes(EVENTS_END);
    }

    static String error(ErrorCode code, String message) {
        return object().put("type", "error").put("code", code.code()).put("message", message).toString();
    }

    /** An error with a hint how long to wait before trying again (1023 under overload). */
    static String error(ErrorCode code, String message, long retryAfterMs) {
        return object().put("type", "error").put("code", code.code()).put("message", message)
                .put("retryAfterMs", retryAfterMs).toString();
    }

    static final String PONG = "{\"type\":\"pong\"}";
    static final String PING = "{\"type\":\"ping\"}";

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
