package org.rollcall.harness;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Steady churn: a session of N clients where, for the duration, clients leave (clean close) and
 * new ones join at a steady rate, so the membership stays about N. Everyone must end up agreeing
 * with the server.
 */
final class Churn implements Scenario {
    private static final long TICK_MS = 50;

    @Override
    public String name() {
        return "churn";
    }

    @Override
    public String description() {
        return "steady joins and leaves in one session for a duration";
    }

    @Override
    public ScenarioResult run(Harness harness, ScenarioOptions options) {
        long started = System.nanoTime();
        String sessionId = Clients.newSessionId("churn");
        int members = options.clients() + options.javaClients();
        harness.progress.begin(name());
        List<LoadProcess> processes = Clients.joinOneSession(harness, options, sessionId);

        // Joins and leaves per second: the given rate, else a tenth of the session.
        double perSecond = options.rate() > 0 ? options.rate() : Math.max(2, options.clients() / 10.0);
        Expectation expected = new Expectation().members(sessionId, members)
                .dropReason(sessionId, "clientDisconnected"); // clean leaves only
        Map<String, Double> before = harness.admin.metrics();
        harness.progress.phase("churning", members);
        long end = System.nanoTime() + options.duration().toNanos();
        double due = 0;
        int joins = 0;
        int leaves = 0;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < end) {
            due += perSecond * TICK_MS / 1000.0;
            for (; due >= 1; due--) {
                LoadProcess leaver = processes.get(random.nextInt(processes.size()));
                int left = leaver.leave(1, harness.settleTimeout).size();
                expected.members(sessionId, -left);
                leaves += left;
                LoadProcess joiner = processes.get(random.nextInt(processes.size()));
                joiner.add(sessionId, harness.token(sessionId, "j:" + joins), "");
                expected.members(sessionId, 1);
                joins++;
            }
            Clients.sleep(TICK_MS); // the pace of the churn itself
        }

        harness.progress.phase("checking", expected.members(sessionId));
        List<Violation> violations = Checker.settle(harness, expected, harness.settleTimeout);
        Map<String, Double> after = harness.admin.metrics();
        Map<String, Object> figures = ScenarioResult.newFigures();
        figures.put("members", members);
        figures.put("joins", joins);
        figures.put("leaves", leaves);
        figures.put("events_sent", (long) Clients.delta(before, after, "rollcall_events_sent_total"));
        figures.put("frames_sent", (long) Clients.delta(before, after, "rollcall_frames_sent_total"));
        harness.progress.end();
        harness.stopClients();
        return new ScenarioResult(name(), options, violations, figures, (System.nanoTime() - started) / 1_000_000);
    }
}
