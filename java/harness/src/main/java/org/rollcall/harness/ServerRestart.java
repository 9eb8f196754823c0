package org.rollcall.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kill -9} of the server and a new one on the same port. It has lost every connection, so
 * each client reconnects as a new connection and reconciles: in the end every roster equals the
 * new server's list, with no ghost of an old ID and no duplicate. Needs a server the harness
 * started ({@code --spawn-server}). With {@code --nodes}, the last node is killed and restarted;
 * the sessions live on in Redis: its clients keep their IDs if they resume within lease + grace,
 * else the other nodes report them {@code networkDisconnected} and they join again as new.
 */
final class ServerRestart implements Scenario {
    /** Reconnection backoff reaches 8 s; a restart takes a JVM start. */
    private static final Duration RECOVERY_EXTRA = Duration.ofSeconds(20);

    @Override
    public String name() {
        return "server-restart";
    }

    @Override
    public String description() {
        return "kill -9 and restart the server (--spawn-server only); clients come back, no ghost, no duplicate";
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        if (!harness.server.restartable()) {
            throw new HarnessException("server-restart needs a server the harness started: give --spawn-server JAR");
        }
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("restart");
        int members = options.clients() + options.javaClients();
        harness.progress.begin(name());
        List<LoadProcess> processes = Clients.joinOneSession(harness, options, sessionId);
        Expectation expected = new Expectation().members(sessionId, members);
        List<Violation> violations = new ArrayList<>(Checker.settle(harness, expected, harness.settleTimeout));

        harness.progress.phase("restarting", members);
        long killed = System.nanoTime();
        harness.server.killAndRestart();
        long up = System.nanoTime();
        harness.progress.phase("recovering", members);
        if (harness.server.nodes() > 1) {
            // The node's clients that were not back within lease + grace are reaped by the others (a
            // real drop each member sees), then join again: wait that long before the rosters count.
            expected.dropReason(sessionId, "networkDisconnected");
            Clients.sleep(ChaosActions.NODE_DEATH_MS); // a bound the server sets, not a guess
        }
        violations.addAll(Checker.settle(harness, expected, harness.settleTimeout.plus(RECOVERY_EXTRA)));
        long recovered = System.nanoTime();
        if (harness.server.nodes() > 1) {
            // One node of several died: Redis kept every session, so its clients resume with their IDs.
            processes = List.of();
        }
        for (LoadProcess process : processes) {
            for (RosterLine line : process.rosters(false, harness.settleTimeout)) {
                if (line.connected() && line.ownChanges() == 0) {
                    violations.add(new Violation(line.who(), "same_connection",
                            "kept its connection ID across a server restart that lost all state"));
                }
            }
        }
        for (RosterLine line : harness.server.nodes() > 1 ? List.<RosterLine>of() : harness.java().rosters(false)) {
            if (line.connected() && line.ownChanges() == 0) {
                violations.add(new Violation(line.who(), "same_connection",
                        "kept its connection ID across a server restart that lost all state"));
            }
        }
        Map<String, Object> figures = ScenarioResult.newFigures();
        figures.put("members", members);
        figures.put("restart_ms", (up - killed) / 1e6);
        figures.put("recovery_after_restart_ms", (recovered - up) / 1e6);
        figures.put("reconnects", harness.sum("reconnects_done"));
        harness.progress.end();
        harness.stopClients();
        return new ScenarioResult(name(), options, violations.stream().distinct().toList(), figures,
                (System.nanoTime() - started) / 1_000_000);
    }
}
