package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Thousands of clients in one session, joined at a steady pace, then left idle: heartbeats alone
 * must keep every one of them in, with no drop and no reconnect, and every roster must match.
 */
final class LargeIdle implements Scenario {
    /** Paced below the server's default connect rate (500/s per address) unless told otherwise. */
    private static final double DEFAULT_RATE = 400;

    @Override
    public String name() {
        return "large-idle";
    }

    @Override
    public String description() {
        return "thousands idle in one session; nobody drops, every roster matches";
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("idle");
        int members = options.clients() + options.javaClients();
        int processCount = harness.processesFor(options.clients(), options.processes());
        double rate = (options.rate() > 0 ? options.rate() : DEFAULT_RATE) / processCount;
        harness.progress.begin(name());
        harness.progress.phase("joining", members);
        List<LoadProcess> processes = harness.spawnMany(processCount, "--rate", Double.toString(rate));
        List<CompletableFuture<JsonNode>> fulls = Clients.expect(processes, sessionId, members);
        Clients.add(harness, processes, sessionId, options.clients(), "c:");
        Clients.addJava(harness, sessionId, options.javaClients());
        long joinStart = System.nanoTime();
        Clients.awaitFull(harness, fulls, sessionId, members, options.javaClients(),
                Clients.joinTimeout(harness, members).plusSeconds((long) (options.clients() / (rate * processCount))));
        long joined = System.nanoTime();
        Expectation expected = new Expectation().members(sessionId, members);
        List<Violation> violations = new ArrayList<>(Checker.settle(harness, expected, harness.settleTimeout));

        harness.progress.phase("idle", members);
        long[] before = counters(harness, processes);
        Map<String, Double> metricsBefore = harness.admin.metrics();
        long javaEventsBefore = harness.java().events();
        Clients.sleep(options.duration().toMillis()); // idling is the scenario
        long[] after = counters(harness, processes);
        Map<String, Double> metricsAfter = harness.admin.metrics();
        String[] names = {"dropped", "reconnects_started", "errors"};
        for (int i = 0; i < names.length; i++) {
            if (after[i] != before[i]) {
                violations.add(new Violation("clients", "idle_churn",
                        (after[i] - before[i]) + " " + names[i] + " while the session was idle"));
            }
        }
        if (harness.java().events() != javaEventsBefore) {
            violations.add(new Violation("java clients", "idle_churn", "events while the session was idle"));
        }
        double eventsWhileIdle = Clients.delta(metricsBefore, metricsAfter, "rollcall_events_sent_total");
        if (eventsWhileIdle != 0) {
            violations.add(new Violation("server", "idle_churn", (long) eventsWhileIdle + " events sent while idle"));
        }
        harness.progress.phase("checking", members);
        violations.addAll(Checker.settle(harness, expected, harness.settleTimeout));
        Map<String, Object> figures = ScenarioResult.newFigures();
        figures.put("members", members);
        figures.put("join_ms", (joined - joinStart) / 1e6);
        figures.put("idle_ms", options.duration().toMillis());
        harness.progress.end();
        harness.stopClients();
        return new ScenarioResult(name(), options, violations.stream().distinct().toList(), figures,
                (System.nanoTime() - started) / 1_000_000);
    }

    private static long[] counters(Harness harness, List<LoadProcess> processes) {
        long[] sums = new long[3];
        for (LoadProcess process : processes) {
            JsonNode progress = process.freshProgress(harness.settleTimeout);
            sums[0] += progress.path("dropped").asLong();
            sums[1] += progress.path("reconnects_started").asLong();
            sums[2] += progress.path("errors").asLong();
        }
        return sums;
    }
}
