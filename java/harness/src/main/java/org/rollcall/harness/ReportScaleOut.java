package org.rollcall.harness;

import static org.rollcall.harness.Format.map;
import static org.rollcall.harness.Format.medianRange;
import static org.rollcall.harness.Format.ms;
import static org.rollcall.harness.Format.number;

import java.util.Locale;
import java.util.Map;

/** The report's scale-out rows and section (issue 15's targets), from {@link MeasureScaleOut}'s figures. */
final class ReportScaleOut {
    /** Lone-event latency across nodes over one node's, at the median, at most. */
    static final double LATENCY_RATIO_TARGET = 2;

    private final Map<String, Object> section;

    ReportScaleOut(Map<String, Object> json) {
        this.section = map(json, "scale_out");
    }

    boolean present() {
        return !section.isEmpty();
    }

    /** The summary's rows: storm beside one node's, latency ratio, Redis round trips per event. */
    void rows(Map<String, Report.Row> rows) {
        if (!present()) {
            return;
        }
        Object nodes = section.get("nodes");
        Map<String, Object> one = map(section, "one_node");
        Map<String, Object> cluster = map(section, "cluster");
        Map<String, Object> clusterStorm = map(cluster, "storm");
        boolean converged = !clusterStorm.isEmpty() && !clusterStorm.containsKey("failed");
        double reconnects = number(map(clusterStorm, "reconnects_runs"), "max");
        rows.put("join storm of " + section.get("storm_members") + " over " + nodes + " nodes (one node beside)",
                new Report.Row("converges, 0 reconnects", storm(clusterStorm) + "; one node: " + storm(map(one, "storm")),
                        converged && reconnects == 0));
        double oneP50 = number(map(map(one, "lone_event_latency"), "from_join_stamp_ms"), "p50");
        double clusterP50 = number(map(map(cluster, "lone_event_latency"), "from_join_stamp_ms"), "p50");
        double ratio = clusterP50 / oneP50;
        rows.put("lone-event latency across " + nodes + " nodes over one node's, p50, " + section.get("lone_members")
                + " members", new Report.Row("<= 2×", Double.isNaN(ratio) ? "not measured"
                : String.format(Locale.ROOT, "%.2f× (%s vs %s)", ratio, ms(clusterP50), ms(oneP50)),
                ratio <= LATENCY_RATIO_TARGET));
        StringBuilder trips = new StringBuilder();
        boolean flat = true;
        int sizes = 0;
        for (String part : PARTS) {
            double perEvent = number(map(cluster, "redis_round_trips_" + part), "per_event");
            if (!Double.isNaN(perEvent)) {
                trips.append(trips.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.2f %s", perEvent,
                        where(part)));
                flat &= perEvent <= ROUND_TRIPS_PER_EVENT;
                sizes++;
            }
        }
        rows.put("Redis round trips per connection event, " + nodes + " nodes", new Report.Row(
                "O(1), independent of session size", sizes == 0 ? "not measured" : trips.toString(), flat && sizes >= 2));
    }

    /** Where round trips were counted, smallest session first. */
    private static final String[] PARTS = {"warm_up", "lone", "storm"};

    /** O(1) here: at most this many per event at every session size (one script, plus subscriptions and gap fills). */
    private static final double ROUND_TRIPS_PER_EVENT = 2;

    private String where(String part) {
        return switch (part) {
            case "warm_up" -> "in the warm-up storms (sessions of " + section.get("warm_up_members") + ")";
            case "lone" -> "in lone events (" + section.get("lone_members") + " members)";
            default -> "in the storm of " + section.get("storm_members");
        };
    }

    private static String storm(Map<String, Object> storm) {
        if (storm.isEmpty()) {
            return "not run";
        }
        if (storm.containsKey("failed")) {
            String why = String.valueOf(storm.get("failed"));
            return "did not converge (" + (why.length() > 160 ? why.substring(0, 160) + "…" : why) + ")";
        }
        return medianRange(map(storm, "convergence_ms_runs")) + " over " + storm.get("runs") + " runs, reconnects at most "
                + String.format(Locale.ROOT, "%.0f", number(map(storm, "reconnects_runs"), "max"));
    }

    /** The detailed section: one node and the cluster side by side. */
    void section(StringBuilder md) {
        if (!present()) {
            return;
        }
        Object nodes = section.get("nodes");
        Map<String, Object> one = map(section, "one_node");
        Map<String, Object> cluster = map(section, "cluster");
        md.append("\n## Scale-out: ").append(nodes).append(" nodes over Redis beside one node\n\n");
        md.append("The same storm and lone events on the bench's node, then on ").append(nodes)
                .append(" nodes started with `--redis` and a redis-server (persistence off), all on the server's CPUs; ")
                .append("each otc-load process (and the prober) connects to the next node in turn, so a lone event ")
                .append("crosses nodes. Round trips: `rollcall_redis_round_trips_total` summed over the nodes, lease ")
                .append("renewals left out, over the connection events (each client's join and leave).\n\n");
        md.append("| | one node | ").append(nodes).append(" nodes |\n|---|---|---|\n");
        md.append("| storm of ").append(section.get("storm_members")).append(", time to full rosters | ")
                .append(storm(map(one, "storm"))).append(" | ").append(storm(map(cluster, "storm"))).append(" |\n");
        for (String percentile : new String[] {"p50", "p90", "p99"}) {
            md.append("| lone event, ").append(section.get("lone_members")).append(" members, ").append(percentile)
                    .append(" from the join stamp | ").append(latency(one, percentile)).append(" | ")
                    .append(latency(cluster, percentile)).append(" |\n");
        }
        for (String part : PARTS) {
            Map<String, Object> trips = map(cluster, "redis_round_trips_" + part);
            if (trips.isEmpty()) {
                continue;
            }
            md.append("| Redis round trips per connection event ").append(where(part)).append(" | — | ")
                    .append(trips.containsKey("per_event") ? String.format(Locale.ROOT, "%.2f over %s events: %s",
                            number(trips, "per_event"), trips.get("connection_events"), trips.get("by_operation"))
                            : "not counted: " + trips).append(" |\n");
        }
    }

    private static String latency(Map<String, Object> side, String percentile) {
        Object value = map(map(side, "lone_event_latency"), "from_join_stamp_ms").get(percentile);
        return value instanceof Number n ? ms(n.doubleValue()) : String.valueOf(value);
    }
}
