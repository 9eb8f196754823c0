package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * N clients join one session at once: every otc-load process is loaded while held, then all are
 * released together. Measures the time until every client holds the full roster, and the server's
 * events and frames (batching).
 */
final class JoinStorm implements Scenario {
    @Override
    public String name() {
        return "join-storm";
    }

    @Override
    public String description() {
        return "N clients join one session at once; time until every client holds the full roster";
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("storm");
        int members = options.clients() + options.javaClients();
        harness.progress.begin(name());
        harness.progress.phase("loading", members);
        List<LoadProcess> processes = harness.spawnMany(
                harness.processesFor(options.clients(), options.processes()), "--hold");
        List<CompletableFuture<JsonNode>> fulls = Clients.expect(processes, sessionId, members);
        Clients.add(harness, processes, sessionId, options.clients(), "c:");
        processes.forEach(process -> process.sync(harness.settleTimeout));

        Map<String, Double> before = harness.admin.metrics();
        harness.progress.phase("joining", members);
        long go = Clock.nowNs();
        processes.forEach(LoadProcess::go);
        Clients.addJava(harness, sessionId, options.javaClients());
        long full = Clients.awaitFull(harness, fulls, sessionId, members, options.javaClients(),
                Clients.joinTimeout(harness, members));
        Map<String, Double> after = harness.admin.metrics();

        harness.progress.phase("checking", members);
        List<Violation> violations = new ArrayList<>(Checker.settle(harness,
                new Expectation().members(sessionId, members), harness.settleTimeout));
        Map<String, Object> figures = ScenarioResult.newFigures();
        double events = Clients.delta(before, after, "rollcall_events_sent_total");
        double frames = Clients.delta(before, after, "rollcall_frames_sent_total");
        double seconds = (full - go) / 1e9;
        figures.put("members", members);
        figures.put("processes", processes.size());
        figures.put("convergence_ms", Clock.ms(full - go));
        figures.put("events_sent", (long) events);
        figures.put("frames_sent", (long) frames);
        figures.put("events_per_second", seconds > 0 ? events / seconds : 0);
        figures.put("frames_per_event", events > 0 ? frames / events : 0);
        harness.progress.end();
        harness.stopClients();
        return new ScenarioResult(name(), options, violations, figures, (System.nanoTime() - started) / 1_000_000);
    }
}
