package org.rollcall.harness;

import static org.rollcall.harness.Format.number;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The heartbeat part ({@link MeasureHeartbeat}): idle CPU of the server and of libotc at each
 * heartbeat profile, beside the bound on reporting a vanished client that the profile buys.
 * Summary rows hold each profile to the idle targets (issue 10: the server's heartbeats <= 10 % of
 * a core at 18,000 connections; issue 11: libotc's 5000 idle sessions <= 3 %).
 */
final class ReportHeartbeat {
    static final double SERVER_PERCENT = 10;
    static final int SERVER_CONNECTIONS = 18_000;
    static final double LIBOTC_PERCENT = 3;
    static final int LIBOTC_SESSIONS = 5000;

    private final List<Map<String, Object>> runs;

    @SuppressWarnings("unchecked")
    ReportHeartbeat(Map<String, Object> json) {
        Object section = json.get("heartbeat");
        this.runs = section instanceof Map<?, ?> m && m.get("runs") instanceof List<?> list
                ? (List<Map<String, Object>>) list : List.of();
    }

    void rows(Map<String, Report.Row> rows) {
        for (Map<String, Object> run : runs) {
            long sessions = (long) number(run, "sessions");
            String profile = profile(run);
            if (sessions == SERVER_CONNECTIONS) {
                double cpu = number(run, "server_cpu_percent");
                rows.put("server heartbeats, 18k idle connections, " + profile, new Report.Row("<= 10 % of a core",
                        measured(cpu, run), cpu <= SERVER_PERCENT && held(run)));
            }
            if (sessions == LIBOTC_SESSIONS) {
                double cpu = number(run, "libotc_cpu_percent");
                rows.put("libotc: CPU of 5000 idle sessions, " + profile, new Report.Row("<= 3 % of a core",
                        measured(cpu, run), cpu <= LIBOTC_PERCENT && held(run)));
            }
        }
    }

    void section(StringBuilder md) {
        if (runs.isEmpty()) {
            return;
        }
        md.append("\n## The price of heartbeats\n\n")
                .append("A client that vanishes without a trace (frozen, or its link cut) is found only by a ping it ")
                .append("does not answer, so the ping interval sets both what idle connections cost and how soon ")
                .append("a vanished client is reported (docs/server.md, \"Choosing heartbeat settings\"). For each ")
                .append("profile, a server of its own with those settings (on the server's CPU) and ")
                .append("`otc-transport-bench idle N` (libotc with empty callbacks, each session in a session of ")
                .append("its own, on the clients' CPU); both processes' CPU over the same 20 s, 5 s after all ")
                .append("connected. One run each.\n\n")
                .append("| profile | ping / timeout / silent grace | vanished reported within | idle sessions | connected ")
                .append("| server CPU (kernel share) | libotc CPU | libotc RSS per session | reconnections |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> run : runs) {
            md.append(String.format(Locale.ROOT, "| %s | %,d / %,d / %,d ms | %,d ms | %,d | %,d | %.1f %% (%.0f %%) "
                            + "| %.2f %% | %s | %d |%n", run.get("profile"), (long) number(run, "interval_ms"),
                    (long) number(run, "timeout_ms"), (long) number(run, "grace_silent_ms"),
                    (long) number(run, "vanished_bound_ms"), (long) number(run, "sessions"),
                    (long) number(run, "connected"), number(run, "server_cpu_percent"),
                    100 * number(run, "server_kernel_share"), number(run, "libotc_cpu_percent"),
                    Format.kb(number(run, "libotc_rss_bytes_per_session")), (long) number(run, "reconnections")));
        }
        md.append("\nThe default profile keeps issue 7's promise (a vanished client reported in under 5 s); the ")
                .append("economy profile is for large idle deployments that can wait 7 s. 100 % is one core.\n");
    }

    private static String profile(Map<String, Object> run) {
        return String.format(Locale.ROOT, "%s profile (ping %.1f s, vanished within %.1f s)", run.get("profile"),
                number(run, "interval_ms") / 1000, number(run, "vanished_bound_ms") / 1000);
    }

    private static boolean held(Map<String, Object> run) {
        return number(run, "connected") == number(run, "sessions") && number(run, "reconnections") == 0;
    }

    private static String measured(double cpu, Map<String, Object> run) {
        return String.format(Locale.ROOT, "%.1f %%; %,d of %,d connected, %d reconnections", cpu,
                (long) number(run, "connected"), (long) number(run, "sessions"), (long) number(run, "reconnections"));
    }
}
