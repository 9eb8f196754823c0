package org.rollcall.harness;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Chaos: one session of C (otc-load), JS (browser client on Node) and Java (binding) clients, each
 * group behind its own port of a {@link LinkProxy}; every round does one to three seeded random
 * disturbances (joins, clean leaves, {@code kill -9} of a client process, SIGSTOP shorter and longer
 * than timeout plus grace, admin force-disconnects, reset and stalled links) or a {@code kill -9} of
 * the server and a restart on its port, lets everything settle, and checks: every roster equals the
 * server's list minus the client itself (no ghost), and so does every otc-watch observer's, by
 * identity; every drop carries the reason of what caused it ({@link ChaosLedger}); and all C, JS and
 * Java clients saw one order by (epoch, seq) ({@link EventOrder}; Java's positions from
 * {@link JavaSeqLog}). The plan of every round follows from the seed; the run stops at the first
 * divergent round.
 */
final class Chaos implements Scenario {
    /** Heartbeat timeout plus silent grace at the server's defaults (protocol.md). */
    static final long DETECTION_MS = 2500 + 1500;
    private static final Duration RESTART_EXTRA = Duration.ofSeconds(20);

    private final long seed;
    private final int rounds;
    private final int jsClients;
    private boolean freezeInGrace;
    private Duration budget = Duration.ZERO;

    Chaos(long seed, int rounds, int jsClients) {
        this.seed = seed;
        this.rounds = rounds;
        this.jsClients = jsClients;
    }

    /** Stops starting rounds after this long (zero: no limit); the report says how many ran. */
    Chaos budget(Duration budget) {
        this.budget = budget;
        return this;
    }

    /** Also freeze past the timeout within timeout plus grace ({@link ChaosActions#freezeInGrace}). */
    Chaos freezeInGrace(boolean on) {
        freezeInGrace = on;
        return this;
    }

    @Override
    public String name() {
        return "chaos";
    }

    @Override
    public String description() {
        return "seeded rounds of kills, freezes, cut links, force-disconnects, leaves, joins and server restarts "
                + "(--spawn-server only); rosters, reasons and one order checked after each";
    }

    /** A group of clients with one fate: an otc-load or Node process, or the Java clients. */
    static final class Group {
        final String name;
        final String kind; // c, js, java
        final LoadProcess process; // null for java
        final LinkProxy.Listener link;
        int members;
        int joined;

        Group(String name, String kind, LoadProcess process, LinkProxy.Listener link) {
            this.name = name;
            this.kind = kind;
            this.process = process;
            this.link = link;
        }

        boolean alive() {
            return process == null || process.alive();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        if (!harness.server.restartable()) {
            throw new HarnessException("chaos restarts the server: give --spawn-server JAR");
        }
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("chaos");
        ChaosLedger ledger = new ChaosLedger();
        Map<String, Integer> actionCounts = new LinkedHashMap<>();
        List<Map<String, Object>> log = new ArrayList<>();
        List<Violation> violations = new ArrayList<>();
        int done = 0;
        harness.progress.begin(name());
        try (LinkProxy proxy = new LinkProxy(() -> URI.create(harness.server.httpUrl()).getPort())) {
            ChaosActions actions = new ChaosActions(harness, proxy, sessionId, ledger, new Random(seed));
            actions.freezeInGrace(freezeInGrace);
            int perProcess = Math.max(1, options.clients() / Math.max(1, options.processes()));
            for (int i = 0; i < options.processes(); i++) {
                actions.join(actions.newGroup("c"), perProcess);
            }
            if (jsClients > 0) {
                actions.join(actions.newGroup("js"), jsClients);
            }
            if (options.javaClients() > 0) {
                actions.join(actions.java(), options.javaClients());
            }
            // otc-watch observers, straight to the server (no disturbance aims at them): each
            // round's settle checks their view by identity against the admin list (Checker).
            for (int i = 0; i < watchers(harness, options); i++) {
                harness.watch(sessionId, "watch:" + i);
            }
            actions.population(actions.members());
            harness.progress.phase("joining", actions.members());
            violations.addAll(settle(harness, actions, ledger, sessionId, watchers(harness, options), Duration.ZERO));
            long deadline = budget.isZero() ? Long.MAX_VALUE : started + budget.toNanos();
            for (int round = 1; round <= rounds && violations.isEmpty(); round++) {
                if (System.nanoTime() > deadline) {
                    break;
                }
                ledger.beginRound(round);
                List<String> plan = actions.round(round);
                plan.forEach(action -> actionCounts.merge(action.split(" ")[0], 1, Integer::sum));
                harness.progress.phase("round " + round + ": " + String.join(", ", plan), actions.members());
                actions.awaitTimers();
                List<Violation> found = settle(harness, actions, ledger, sessionId, watchers(harness, options),
                        plan.contains("server-restart") ? RESTART_EXTRA : Duration.ZERO);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("round", round);
                entry.put("actions", plan);
                entry.put("members", actions.members());
                entry.put("violations", found.size());
                log.add(entry);
                harness.progress.note("chaos round " + round + " " + plan + " members " + actions.members()
                        + (found.isEmpty() ? " ok" : " DIVERGED: " + found.size() + " violations"));
                violations.addAll(found);
                done = round;
            }
        } finally {
            harness.progress.end();
            harness.stopClients();
        }
        Map<String, Object> figures = ScenarioResult.newFigures();
        figures.put("seed", seed);
        figures.put("freeze_in_grace", freezeInGrace);
        figures.put("rounds_asked", rounds);
        figures.put("time_budget_min", budget.toMinutes());
        figures.put("rounds_completed", violations.isEmpty() ? done : done - 1);
        figures.put("divergences", violations.isEmpty() ? 0 : 1);
        if (!violations.isEmpty()) {
            figures.put("divergent_round", done);
            figures.put("reproduce", "rollcall-harness run chaos --seed " + seed + " --rounds " + done
                    + (freezeInGrace ? " --freeze-in-grace" : "") + " --spawn-server JAR (same sizes)");
        }
        figures.put("actions", actionCounts);
        figures.put("round_log", log);
        return new ScenarioResult(name(), options, violations.stream().distinct().toList(), figures,
                (System.nanoTime() - started) / 1_000_000);
    }

    private static int watchers(Harness harness, ScenarioOptions options) {
        return harness.hasWatch() ? options.watchers() : 0;
    }

    /**
     * The invariant after a round: rosters, observers and the server's list, one order, reasons
     * (C, JS, Java).
     */
    private static List<Violation> settle(Harness harness, ChaosActions actions, ChaosLedger ledger, String sessionId,
                                          int watchers, Duration extra) {
        Expectation expected = new Expectation().members(sessionId, actions.members()).untracked(sessionId, watchers)
                .allowEnded().dropRule(sessionId, ledger);
        List<Violation> found = new ArrayList<>(Checker.settle(harness, expected, harness.settleTimeout.plus(extra)));
        found.addAll(ledger.judgeJava(actions.newJavaDrops()));
        return found;
    }
}
