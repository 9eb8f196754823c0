package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One client's roster as an otc-load process (or a Java client) reports it: its own connection ID
 * and the others it holds, as a count and an order-free hash ({@link RosterHash}); the IDs
 * themselves only when asked for.
 */
record RosterLine(String source, int client, String tag, String session, String state, String id,
                  int count, String hash, int ownChanges, List<String> ids) {

    static RosterLine fromJson(String source, JsonNode line) {
        List<String> ids = null;
        if (line.has("ids")) {
            ids = new ArrayList<>();
            for (JsonNode id : line.get("ids")) {
                ids.add(id.asText());
            }
        }
        return new RosterLine(source, line.path("client").asInt(), line.path("tag").asText(),
                line.path("session").asText(), line.path("state").asText(), line.path("id").asText(),
                line.path("count").asInt(), line.path("hash").asText(), line.path("own_changes").asInt(), ids);
    }

    boolean connected() {
        return state.equals("connected");
    }

    String who() {
        return source + " client " + client + (tag.isEmpty() ? "" : " (" + tag + ")") + " " + id;
    }
}
