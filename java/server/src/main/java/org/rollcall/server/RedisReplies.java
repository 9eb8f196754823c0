package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Reading the Lua scripts' replies (Lettuce hands bulk strings as bytes, integers as Longs). */
final class RedisReplies {
    private RedisReplies() {
    }

    static List<ConnectionInfo> connections(List<Object> reply, int from) {
        List<ConnectionInfo> roster = new ArrayList<>(Math.max(reply.size() - from, 0));
        for (int i = from; i < reply.size(); i++) {
            roster.add(new ConnectionInfo(null, (byte[]) reply.get(i)));
        }
        return roster;
    }

    static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    static JsonNode parse(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("malformed record in Redis", e);
        }
    }

    /** Redis keeps a hash of the resume token, not the token. */
    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
