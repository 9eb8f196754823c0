package org.rollcall.harness;

import static org.rollcall.harness.Format.kb;
import static org.rollcall.harness.Format.map;
import static org.rollcall.harness.Format.number;

import java.util.Locale;
import java.util.Map;

/**
 * The client libraries against their targets: libotc's (issue 11, {@link MeasureLibotc}) and the
 * Java binding's callback cost (issue 12, the bench's callback part), as summary rows and a section.
 */
final class ReportLibotc {
    static final double STORM_US_PER_EVENT = 0.5;
    static final double IDLE_CPU_PERCENT = 3;
    static final double RSS_PER_SESSION = 8 * 1024;
    static final double CALLBACK_STRETCH_NS = 150;

    private final Map<String, Object> section;
    private final Map<String, Object> callback;

    @SuppressWarnings("unchecked")
    ReportLibotc(Map<String, Object> json) {
        Object value = json.get("libotc");
        this.section = value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        this.callback = map(json.get("callback_cost") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(),
                "result");
    }

    boolean present() {
        return !section.isEmpty();
    }

    /** libotc's rows of the summary (the callback's row is the report's own). */
    void rows(Map<String, Report.Row> rows) {
        if (!present()) {
            return;
        }
        Map<String, Object> storm = map(section, "storm_us_per_event_runs");
        int incomplete = (int) number(section, "storm_incomplete_runs");
        rows.put("libotc: CPU per delivered event, storm of " + section.get("storm_members"), new Report.Row(
                "<= 0.5 us", us(storm) + (incomplete > 0 ? "; " + incomplete + " runs did not converge" : ""),
                number(storm, "median") <= STORM_US_PER_EVENT && incomplete == 0));
        Map<String, Object> cpu = map(section, "idle_cpu_percent_runs");
        rows.put("libotc: CPU of " + section.get("idle_sessions") + " idle sessions", new Report.Row("<= 3 % of a core",
                percent(cpu), number(cpu, "median") <= IDLE_CPU_PERCENT));
        Map<String, Object> rss = map(section, "idle_rss_bytes_per_session_runs");
        rows.put("libotc: resident memory per idle session", new Report.Row("<= 8 KB",
                kb(number(rss, "median")) + " (" + kb(number(rss, "min")) + "–" + kb(number(rss, "max")) + ")",
                number(rss, "median") <= RSS_PER_SESSION));
        Map<String, Object> held = map(section, "held");
        long sessions = (long) number(held, "sessions");
        long connected = (long) number(held, "connected");
        rows.put("libotc: " + String.format(Locale.ROOT, "%,d", sessions) + " sessions in one process",
                new Report.Row("all held", connected + " connected, " + (long) number(held, "reconnections")
                        + " reconnections", connected == sessions && number(held, "reconnections") == 0
                        && sessions >= MeasureLibotc.HELD_SESSIONS));
    }

    void section(StringBuilder md) {
        if (!present()) {
            return;
        }
        Map<String, Object> held = map(section, "held");
        md.append("\n## Client libraries: libotc and the Java binding\n\n")
                .append("libotc by `otc-transport-bench` (native/tools: libotc with empty callbacks, its own tokens) ")
                .append("against this run's server, on the clients' CPUs: CPU (user + system, connects included) per ")
                .append("delivered connectionCreated in a join storm; N idle sessions, each in a session of its own, ")
                .append("their CPU over 20 s and resident memory per session after 5 s. The binding's cost per ")
                .append("callback is the callback part's (`CallbackCost` from its test-jar).\n\n");
        md.append("| | measured (median, min–max) | target |\n|---|---|---|\n");
        md.append("| storm of ").append(section.get("storm_members")).append(": CPU per delivered event | ")
                .append(us(map(section, "storm_us_per_event_runs"))).append(String.format(Locale.ROOT,
                        "; reconnections: at most %.0f in a run (their events count too) | <= 0.5 us |%n",
                        number(map(section, "storm_reconnects_runs"), "max")));
        md.append("| ").append(section.get("idle_sessions")).append(" idle sessions: CPU | ")
                .append(percent(map(section, "idle_cpu_percent_runs"))).append(String.format(Locale.ROOT,
                        "; reconnections: at most %.0f in a run | <= 3 %% of a core |%n",
                        number(map(section, "idle_reconnects_runs"), "max")));
        Map<String, Object> rss = map(section, "idle_rss_bytes_per_session_runs");
        md.append("| ").append(section.get("idle_sessions")).append(" idle sessions: resident memory per session | ")
                .append(kb(number(rss, "median"))).append(" (").append(kb(number(rss, "min"))).append("–")
                .append(kb(number(rss, "max"))).append(") | <= 8 KB |\n");
        md.append(String.format(Locale.ROOT, "| %,d sessions in one process (one run) | %d connected, %d reconnections; "
                        + "%s each, %.1f %% of a core | held |%n", (long) number(held, "sessions"),
                (long) number(held, "connected"), (long) number(held, "reconnections"),
                kb(number(held, "rss_bytes_per_session")), number(held, "cpu_percent")));
        callbackRow(md, "java_ns_per_event", "delivered on the library thread");
        callbackRow(md, "java_queued_ns_per_event", "on the default delivery threads");
    }

    private void callbackRow(StringBuilder md, String key, String how) {
        if (callback.get(key) instanceof Number ns) {
            md.append(String.format(Locale.ROOT, "| Java binding: cost per callback, end to end (C included), %s | "
                    + "%.0f ns | < 250 ns (stretch 150 ns: %s) |%n", how, ns.doubleValue(),
                    ns.doubleValue() < CALLBACK_STRETCH_NS ? "met" : "missed"));
        }
    }

    private static String us(Map<String, Object> runs) {
        return String.format(Locale.ROOT, "%.3f us (%.3f–%.3f)", number(runs, "median"), number(runs, "min"),
                number(runs, "max"));
    }

    private static String percent(Map<String, Object> runs) {
        return String.format(Locale.ROOT, "%.2f %% (%.2f–%.2f)", number(runs, "median"), number(runs, "min"),
                number(runs, "max"));
    }
}
