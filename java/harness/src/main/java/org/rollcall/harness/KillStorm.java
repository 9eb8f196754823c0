package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code kill -9} of client processes: a third of the otc-load processes and half of the otc-watch
 * processes die at once. Every survivor must see each of their clients dropped exactly once, with
 * {@code networkDisconnected}; the time it takes is reported.
 */
final class KillStorm implements Scenario {
    @Override
    public String name() {
        return "kill-storm";
    }

    @Override
    public String description() {
        return "kill -9 of several client processes; everyone must see them networkDisconnected";
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("kill");
        int processCount = harness.processesFor(options.clients(), Math.max(3, options.processes()));
        int victimProcesses = Math.max(1, processCount / 3);
        int watchers = harness.hasWatch() ? options.watchers() : 0;
        int victimWatchers = watchers / 2;
        int members = options.clients() + options.javaClients() + watchers;
        harness.progress.begin(name());
        harness.progress.phase("joining", members);

        List<LoadProcess> processes = harness.spawnMany(processCount);
        List<LoadProcess> survivors = processes.subList(0, processCount - victimProcesses);
        List<LoadProcess> victims = processes.subList(processCount - victimProcesses, processCount);
        List<CompletableFuture<JsonNode>> fulls = Clients.expect(processes, sessionId, members);
        List<String> victimData = new ArrayList<>();
        for (int i = 0; i < options.clients(); i++) {
            LoadProcess process = processes.get(i % processCount);
            boolean victim = victims.contains(process);
            String data = (victim ? "mark:v" : "c:") + i;
            if (victim) {
                victimData.add(data);
            }
            process.add(sessionId, harness.token(sessionId, data), "");
        }
        List<WatchProcess> doomedWatchers = new ArrayList<>();
        Expectation expected = new Expectation().members(sessionId, members - watchers)
                .dropReason(sessionId, "networkDisconnected"); // kill -9 only
        for (int i = 0; i < watchers; i++) {
            boolean victim = i < victimWatchers;
            String data = (victim ? "mark:w" : "w:") + i;
            WatchProcess watcher = harness.watch(sessionId, data);
            expected.untracked(sessionId, 1);
            if (victim) {
                doomedWatchers.add(watcher);
                victimData.add(data);
            }
        }
        Clients.addJava(harness, sessionId, options.javaClients());
        Clients.awaitFull(harness, fulls, sessionId, members, options.javaClients(), Clients.joinTimeout(harness, members));
        List<Violation> violations = new ArrayList<>();
        harness.progress.phase("checking", members);
        violations.addAll(Checker.settle(harness, expected, harness.settleTimeout));

        harness.progress.phase("killing", members - victimData.size());
        long killed = Clock.nowNs();
        victims.forEach(LoadProcess::kill);
        doomedWatchers.forEach(WatchProcess::kill);
        expected.members(sessionId, -victimData.size() + victimWatchers).untracked(sessionId, -victimWatchers);

        long lastSeen = awaitDrops(harness, survivors, victimData, violations);
        harness.progress.phase("checking", expected.members(sessionId));
        violations.addAll(Checker.settle(harness, expected, harness.settleTimeout));
        Map<String, Object> figures = ScenarioResult.newFigures();
        figures.put("members", members);
        figures.put("killed_clients", victimData.size());
        figures.put("killed_processes", victims.size() + doomedWatchers.size());
        figures.put("detection_ms", lastSeen > 0 ? Clock.ms(lastSeen - killed) : -1);
        harness.progress.end();
        harness.stopClients();
        return new ScenarioResult(name(), options, dedupe(violations), figures, (System.nanoTime() - started) / 1_000_000);
    }

    /** Waits until every survivor process reports each victim dropped; checks the reasons. */
    private static long awaitDrops(Harness harness, List<LoadProcess> survivors, List<String> victimData,
                                   List<Violation> violations) {
        long deadline = System.nanoTime() + harness.settleTimeout.toNanos();
        long last = 0;
        for (LoadProcess survivor : survivors) {
            for (String data : victimData) {
                CompletableFuture<JsonNode> mark = survivor.awaitAny(line -> LoadProcess.type(line).equals("mark")
                        && line.path("event").asText().equals("dropped") && line.path("data").asText().equals(data));
                try {
                    JsonNode line = mark.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    last = Math.max(last, line.path("last_ns").asLong());
                    JsonNode reasons = line.path("reasons");
                    if (reasons.size() != 1 || !reasons.has("networkDisconnected")) {
                        violations.add(new Violation(survivor.name(), "wrong_reason",
                                data + " was dropped with " + reasons + ", not networkDisconnected only"));
                    }
                } catch (TimeoutException e) {
                    violations.add(new Violation(survivor.name(), "drop_not_seen",
                            "not every client saw " + data + " dropped within " + harness.settleTimeout));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HarnessException("interrupted");
                } catch (ExecutionException e) {
                    throw new HarnessException(e.getCause().getMessage(), e.getCause());
                }
            }
        }
        return last;
    }

    private static List<Violation> dedupe(List<Violation> violations) {
        return violations.stream().distinct().toList();
    }
}
