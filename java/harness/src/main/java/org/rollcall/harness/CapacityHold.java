package org.rollcall.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The capacity part's long hold (issue 10: 18,000 idle connections held for 10 minutes with 0
 * drops and 0 reconnects): after the largest step is measured, its clients stay idle for
 * {@code --capacity-hold-s} and the hold reports what changed over it, as counted by the clients
 * (drops seen, reconnects, errors, failed and ended clients) and by the server (connections it
 * lists), with the server's CPU over the whole hold, user and kernel apart.
 */
final class CapacityHold {
    private static final String[] CLIENT_COUNTS = {"dropped", "reconnects_started", "errors", "failed", "ended"};
    /** A progress line this often, so a long hold shows it is alive. */
    private static final long REPORT_EVERY_MS = 30_000;

    private CapacityHold() {
    }

    static Map<String, Object> hold(Harness harness, long serverPid, long seconds) {
        Map<String, Long> before = counts(harness);
        long connectionsBefore = serverConnections(harness);
        long[] cpuBefore = Signals.cpuSplit(serverPid);
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            Clients.sleep(Math.min(REPORT_EVERY_MS, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            System.out.printf("capacity hold: %.0f of %d s, server lists %d, client drops %d, reconnects %d%n",
                    (System.nanoTime() - start) / 1e9, seconds, serverConnections(harness),
                    harness.sum("dropped") - before.get("dropped"),
                    harness.sum("reconnects_started") - before.get("reconnects_started"));
        }
        long[] cpuAfter = Signals.cpuSplit(serverPid);
        double heldMs = (System.nanoTime() - start) / 1e6;
        Map<String, Object> hold = new LinkedHashMap<>();
        hold.put("seconds", heldMs / 1000);
        hold.put("server_connections_before", connectionsBefore);
        hold.put("server_connections_after", serverConnections(harness));
        Map<String, Long> after = counts(harness);
        for (String name : CLIENT_COUNTS) {
            hold.put("client_" + name, after.get(name) - before.get(name));
        }
        hold.put("server_cpu_user_percent", 100.0 * (cpuAfter[0] - cpuBefore[0]) / heldMs);
        hold.put("server_cpu_system_percent", 100.0 * (cpuAfter[1] - cpuBefore[1]) / heldMs);
        return hold;
    }

    private static Map<String, Long> counts(Harness harness) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String name : CLIENT_COUNTS) {
            counts.put(name, harness.sum(name));
        }
        return counts;
    }

    private static long serverConnections(Harness harness) {
        return harness.admin.metrics().getOrDefault("rollcall_connections", -1.0).longValue();
    }
}
