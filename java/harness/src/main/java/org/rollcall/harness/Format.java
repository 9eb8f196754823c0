package org.rollcall.harness;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How the report reads its JSON-shaped figures and writes them: maps, numbers, ms, KB, ranges. */
final class Format {
    private Format() {
    }

    /** "median (min–max)" of a {@link Stats#runs} map, in ms or s. */
    static String medianRange(Map<String, Object> runs) {
        return ms(number(runs, "median")) + " (" + ms(number(runs, "min")) + "–" + ms(number(runs, "max")) + ")";
    }

    /** "median (min–max)" of a {@link Stats#runs} map of counts. */
    static String countRange(Map<String, Object> runs) {
        return String.format(Locale.ROOT, "%,.0f (%,.0f–%,.0f)", number(runs, "median"), number(runs, "min"),
                number(runs, "max"));
    }


    /** A JFR summary: share of the server's CPU samples by the innermost Rollcall method. */
    static void profile(StringBuilder md, String title, Map<String, Object> profile) {
        Map<String, Object> ours = map(profile, "by_rollcall_method_percent");
        Map<String, Object> leaf = map(profile, "by_innermost_method_percent");
        if (ours.isEmpty()) {
            return;
        }
        md.append("\n").append(title).append(" (JFR, ").append(profile.get("cpu_samples"))
                .append(" samples): by innermost Rollcall method ");
        md.append(String.join(", ", ours.entrySet().stream().map(e -> shortName(e.getKey()) + " " + e.getValue() + "%")
                .toList()));
        md.append("; by innermost method ");
        md.append(String.join(", ", leaf.entrySet().stream().limit(5)
                .map(e -> shortName(e.getKey()) + " " + e.getValue() + "%").toList()));
        md.append(".\n");
    }

    static String shortName(String method) {
        String[] parts = method.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : method;
    }

    static void statsRow(StringBuilder md, String what, Map<String, Object> stats) {
        String p99 = stats.get("p99") instanceof Number n ? String.format(Locale.ROOT, "%.2f", n.doubleValue())
                : "(n < " + Stats.P99_MIN + ")";
        md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %s | %.2f |%n", what, stats.get("n"),
                number(stats, "p50"), number(stats, "p90"), number(stats, "p95"), p99, number(stats, "max")));
    }


    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    static List<?> list(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof List<?> l ? l : List.of();
    }

    static double number(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * The server's CPU per member frame of a lone event, in us: a probe is a join and a leave, two
     * frames to each member. The heartbeats' share (measured before probing) is taken out, and the
     * JIT compiler threads' share too unless {@code withJit}; a share not measured counts as 0.
     */
    static double serverUsPerMemberFrame(Map<String, Object> lone, boolean withJit) {
        double idle = number(lone, "server_idle_cpu_ms_per_probe");
        double jit = withJit ? 0 : number(lone, "server_jit_cpu_ms_per_probe");
        return 1000 * (number(lone, "server_cpu_ms_per_probe") - (Double.isNaN(idle) ? 0 : idle)
                - (Double.isNaN(jit) ? 0 : jit)) / (2 * number(lone, "members"));
    }

    static String ms(double ms) {
        return ms >= 1000 ? String.format(Locale.ROOT, "%.2f s", ms / 1000) : String.format(Locale.ROOT, "%.2f ms", ms);
    }

    static String kb(double bytes) {
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1024);
    }

    static String mb(double bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1024 / 1024);
    }
}
