package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The departure and callback-cost measurements ({@link Measure} has the others): how long until
 * every observer knows a client left (closed, killed, stopped), and what one event costs into C
 * and into Java.
 */
final class MeasureDepartures {
    /** Created+dropped pairs per run of the C callback-cost measurement. */
    private static final int INJECTED_PAIRS = 500_000;

    private final Measure measure;
    private final Harness harness;
    private final Report report;
    private final int runs;

    MeasureDepartures(Measure measure, Harness harness, Report report, int runs) {
        this.measure = measure;
        this.harness = harness;
        this.report = report;
        this.runs = runs;
    }

    // --- 4. departure detection -------------------------------------------------------------

    /** Graceful leave, kill -9 and SIGSTOP of a lone client, seen by 20 observers, default settings. */
    void departure() {
        String sessionId = Clients.newSessionId("depart");
        int observers = 20;
        LoadProcess watchers = harness.spawn(1000);
        CompletableFuture<JsonNode> full = watchers.expect(sessionId, observers);
        Clients.add(harness, List.of(watchers), sessionId, observers, "o:");
        Clients.awaitFull(harness, List.of(full), sessionId, observers, 0, Measure.LINE_TIMEOUT);
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("observers", observers);
        section.put("graceful", departures(sessionId, watchers, "graceful", 20));
        section.put("killed", departures(sessionId, watchers, "killed", runs));
        section.put("vanished", departures(sessionId, watchers, "vanished", runs));
        report.departure(section);
        measure.tearDown();
    }

    private Map<String, Object> departures(String sessionId, LoadProcess watchers, String kind, int repeats) {
        List<Double> latencies = new ArrayList<>();
        Map<String, Integer> reasons = new LinkedHashMap<>();
        for (int i = 0; i < repeats; i++) {
            String data = "mark:" + kind + "-" + i;
            LoadProcess victim = harness.spawn(1000);
            CompletableFuture<JsonNode> created = LoneProbe.awaitMarks(List.of(watchers), "created", data).get(0);
            CompletableFuture<JsonNode> joined = victim.awaitAny(line -> LoadProcess.type(line).equals("mark_self"));
            victim.add(sessionId, harness.token(sessionId, data), "");
            Measure.get(created, Measure.LINE_TIMEOUT); // the observers know it,
            Measure.get(joined, Measure.LINE_TIMEOUT); // and it knows it is in
            CompletableFuture<JsonNode> dropped = LoneProbe.awaitMarks(List.of(watchers), "dropped", data).get(0);
            long start;
            switch (kind) {
                case "graceful" -> start = victim.leaving(1, "", Measure.LINE_TIMEOUT).path("t_ns").asLong();
                case "killed" -> {
                    start = Clock.nowNs();
                    victim.kill();
                }
                default -> {
                    start = Clock.nowNs();
                    victim.signal("STOP");
                }
            }
            JsonNode line = Measure.get(dropped, Measure.LINE_TIMEOUT);
            latencies.add(Clock.ms(line.path("last_ns").asLong() - start));
            line.path("reasons").fieldNames().forEachRemaining(reason -> reasons.merge(reason, 1, Integer::sum));
            victim.kill(); // a stopped process dies of SIGKILL too
            victim.quit(Duration.ofSeconds(5));
        }
        Map<String, Object> result = new LinkedHashMap<>(Stats.of(latencies).toJson());
        result.put("runs_ms", Stats.runs(latencies));
        result.put("reasons", reasons);
        System.out.printf("departure %s: %s%n", kind, result);
        return result;
    }

    // --- 5. callback cost -------------------------------------------------------------------

    /**
     * The C figure from otc-load's {@code inject} (libotc's test hook to a counting C callback), and
     * the Java figure from the binding's callback-cost main, whose last JSON line is kept.
     */
    void callbackCost(String className) throws IOException, InterruptedException {
        Map<String, Object> section = new LinkedHashMap<>();
        report.callback(section);
        LoadProcess process = harness.spawn(0);
        List<Double> cNs = new ArrayList<>();
        for (int run = 0; run < Math.max(5, runs); run++) {
            CompletableFuture<JsonNode> done = process.awaitNext(line -> LoadProcess.type(line).equals("inject"));
            process.send("inject " + INJECTED_PAIRS);
            cNs.add(Measure.get(done, Measure.BIG_TIMEOUT).path("ns_per_event").asDouble());
        }
        process.quit(Measure.LINE_TIMEOUT);
        section.put("c_callback_ns_per_event", Stats.of(cNs).toJson());
        section.put("c_callback_ns_per_event_runs", Stats.runs(cNs));
        section.put("c_events_per_run", 2 * INJECTED_PAIRS);

        Path output = harness.workDir.resolve("callback-cost.out");
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), className)
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!java.waitFor(5, TimeUnit.MINUTES)) {
            java.destroyForcibly();
            throw new HarnessException(className + " did not finish within 5 minutes");
        }
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        section.put("class", className);
        section.put("exit", java.exitValue());
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (line.startsWith("{")) {
                section.put("result", new ObjectMapper().readValue(line, Map.class));
                break;
            }
        }
        section.put("output", lines.size() > 40 ? lines.subList(lines.size() - 40, lines.size()) : lines);
    }
}
