package org.rollcall.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bench's {@code scale-out} part (issue 15): the same join storm and the same lone events on the
 * bench's one node and on {@code nodes} nodes sharing the session through a redis-server, run one
 * after the other under the same placement (the nodes and Redis together on the server's CPUs, so
 * the cluster gets no more CPU than the one node), plus the Redis round trips per connection event
 * read from the nodes' {@code rollcall_redis_round_trips_total}.
 */
final class MeasureScaleOut {
    private final Harness oneNode;
    private final Main.Target target;
    private final Map<String, String> serverDefaults;
    private final Placement placement;
    private final int runs;

    MeasureScaleOut(Harness oneNode, Main.Target target, Map<String, String> serverDefaults, Placement placement,
                    int runs) {
        this.oneNode = oneNode;
        this.target = target;
        this.serverDefaults = serverDefaults;
        this.placement = placement;
        this.runs = runs;
    }

    /** One node's figures, then the cluster's (started here and stopped after). */
    Map<String, Object> measure(int nodes, int storm, int members, int probes, int warmUp, int warmUpSize)
            throws Exception {
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("nodes", nodes);
        section.put("storm_members", storm);
        section.put("lone_members", members);
        section.put("warm_up_members", warmUpSize);
        section.put("one_node", on(oneNode, storm, members, probes, 0, warmUpSize));
        if (target.serverJar == null) {
            throw new HarnessException("the scale-out part starts its nodes: give --spawn-server JAR");
        }
        Path dir = Files.createDirectories(oneNode.workDir.resolve("scale-out"));
        try (SpawnedCluster cluster = new SpawnedCluster(nodes, target.serverJar, target.serverJvmArgs,
                Main.withDefaults(target.serverArgs, serverDefaults), dir, oneNode.server.apiKey(),
                oneNode.server.secret(), placement);
             Harness harness = new Harness(cluster, oneNode.otcLoad, oneNode.otcWatch, dir, oneNode.settleTimeout,
                     System.out, java.time.Duration.ofSeconds(5))) {
            harness.placement(placement);
            section.put("cluster", on(harness, storm, members, probes, warmUp, warmUpSize));
        }
        return section;
    }

    /**
     * A storm and the lone events on one target (its JIT warmed first when {@code warmUp} > 0: the
     * bench's one node was warmed by the warm-up part), with the Redis round trips over each.
     */
    private Map<String, Object> on(Harness harness, int storm, int members, int probes, int warmUp, int warmUpSize) {
        Report scratch = new Report("scale-out");
        Measure measure = new Measure(harness, scratch, runs);
        Map<String, Object> figures = new LinkedHashMap<>();
        if (warmUp > 0) {
            Map<String, Double> cold = harness.admin.metrics();
            measure.warmUp(warmUp, warmUpSize);
            // A third session size for the round trips (a warm-up storm that failed counts as if it converged).
            figures.put("redis_round_trips_warm_up", roundTrips(cold, harness.admin.metrics(),
                    2L * warmUpSize * warmUp));
        }
        Map<String, Double> before = harness.admin.metrics();
        measure.joinStorms(List.of(storm));
        Map<String, Double> afterStorm = harness.admin.metrics();
        measure.loneLatency(members, probes);
        Map<String, Double> afterLone = harness.admin.metrics();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> storms = (List<Map<String, Object>>) scratch.figures("join_storm");
        Map<String, Object> stormFigures = storms == null || storms.isEmpty() ? Map.of() : storms.get(0);
        stormFigures.remove("timeline"); // the storm part's chart has it; here it would only swell the JSON
        figures.put("storm", stormFigures);
        figures.put("lone_event_latency", scratch.figures("lone_event_latency"));
        int stormRuns = stormFigures.get("runs") instanceof Number n ? n.intValue() : 0;
        // Connection events: each storm client joins once and leaves once (at the run's tear-down);
        // the lone part's members join and leave once, each probe joins and leaves once.
        // A storm that did not converge has no known count of events (its clients reconnected).
        figures.put("redis_round_trips_storm", stormFigures.containsKey("failed") ? Map.of("storm", "did not converge")
                : roundTrips(before, afterStorm, 2L * storm * stormRuns));
        figures.put("redis_round_trips_lone", roundTrips(afterStorm, afterLone, 2L * members + 2L * probes));
        return figures;
    }

    /** Round trips by operation between two readings, and per connection event (the lease renewals left out). */
    private static Map<String, Object> roundTrips(Map<String, Double> before, Map<String, Double> after, long events) {
        Map<String, Object> byOperation = new LinkedHashMap<>();
        double total = 0;
        for (Map.Entry<String, Double> sample : after.entrySet()) {
            String name = sample.getKey();
            if (!name.startsWith("rollcall_redis_round_trips_total{")) {
                continue;
            }
            double delta = sample.getValue() - before.getOrDefault(name, 0.0);
            String operation = name.replaceAll(".*op=\"([^\"]*)\".*", "$1");
            byOperation.put(operation, (long) delta);
            if (!operation.equals("lease")) { // a timer per node, not a connection event
                total += delta;
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("connection_events", events);
        figures.put("by_operation", byOperation);
        figures.put("per_event", byOperation.isEmpty() || events == 0 ? Double.NaN : total / events);
        return figures;
    }
}
