package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One probe of the lone-event measurement: a marked client joins a session of members alone,
 * every member's {@code on_connection_created} for it is awaited, then it leaves and every
 * member's {@code on_connection_dropped} is awaited. Timings are the load processes' clocks.
 *
 * @param joined the prober's {@code mark_self} line (connect call, connected, server's creation stamp)
 * @param created when the members saw it join
 * @param leftAt when the prober sent its close frame, ns
 * @param dropped when the members saw it leave
 */
record LoneProbe(JsonNode joined, Marks created, long leftAt, Marks dropped) {

    static LoneProbe run(Harness harness, LoadProcess prober, List<LoadProcess> members, String sessionId,
                         String data) {
        List<CompletableFuture<JsonNode>> created = awaitMarks(members, "created", data);
        CompletableFuture<JsonNode> self = prober.awaitAny(line -> LoadProcess.type(line).equals("mark_self")
                && line.path("data").asText().equals(data));
        prober.add(sessionId, harness.token(sessionId, data), "");
        JsonNode joined = Measure.get(self, Measure.LINE_TIMEOUT);
        Marks seen = Marks.of(created);
        List<CompletableFuture<JsonNode>> dropped = awaitMarks(members, "dropped", data);
        long leftAt = prober.leaving(1, "", Measure.LINE_TIMEOUT).path("t_ns").asLong();
        return new LoneProbe(joined, seen, leftAt, Marks.of(dropped));
    }

    /** Each process's mark line for the connection marked {@code data} and {@code event}, when it comes. */
    static List<CompletableFuture<JsonNode>> awaitMarks(List<LoadProcess> processes, String event, String data) {
        List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
        for (LoadProcess process : processes) {
            futures.add(process.awaitAny(line -> LoadProcess.type(line).equals("mark")
                    && line.path("event").asText().equals(event) && line.path("data").asText().equals(data)));
        }
        return futures;
    }

    /** The mark lines of one marked connection and event, over processes. */
    record Marks(long first, long last, int count, List<JsonNode> lines) {
        static Marks of(List<CompletableFuture<JsonNode>> futures) {
            long first = Long.MAX_VALUE;
            long last = 0;
            int count = 0;
            List<JsonNode> lines = new ArrayList<>();
            for (CompletableFuture<JsonNode> future : futures) {
                JsonNode line = Measure.get(future, Measure.LINE_TIMEOUT);
                lines.add(line);
                first = Math.min(first, line.path("first_ns").asLong());
                last = Math.max(last, line.path("last_ns").asLong());
                count += line.path("count").asInt();
            }
            return new Marks(first, last, count, lines);
        }
    }
}
