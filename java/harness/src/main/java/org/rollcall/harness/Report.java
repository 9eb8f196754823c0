package org.rollcall.harness;

import static org.rollcall.harness.Format.kb;
import static org.rollcall.harness.Format.list;
import static org.rollcall.harness.Format.map;
import static org.rollcall.harness.Format.medianRange;
import static org.rollcall.harness.Format.ms;
import static org.rollcall.harness.Format.number;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark report: figures by measurement, compared with the targets of wave 2 (issues 10-12), written as
 * markdown, JSON and a PNG chart (lone-event latency distribution, join-storm convergence).
 */
final class Report {
    /** The targets: issue 7's, tightened by wave 2 (issue 10: server; issue 12: binding). */
    static final double LONE_P99_MS = 2;
    static final double SERVER_US_PER_MEMBER_FRAME = 6;
    static final int STORM_TARGET_MEMBERS = 2000;
    static final double STORM_TARGET_MS = 2000;
    static final int CAPACITY_TARGET = 18_000;
    static final double HEAP_PER_CONNECTION_TARGET = 2 * 1024;
    static final double RSS_PER_CONNECTION_TARGET = 6 * 1024;
    static final double GRACEFUL_MS = 10;
    static final double KILLED_MS = 500 * 1.1;
    static final int LARGE_STORM_MEMBERS = 5000;
    static final double VANISHED_MS = Math.min((2500 + 1500) * 1.1, 5000);
    static final double CALLBACK_NS = 250;

    private final String started;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<Map<String, Object>> storms = new ArrayList<>();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private List<Double> upper = List.of();
    private List<Double> lower = List.of();
    private Report sharedCores;

    Report(String started) {
        this.started = started;
        json.put("started", started);
    }

    void conditions(Map<String, Object> conditions) {
        json.put("conditions", conditions);
    }

    /** The same parts run again with server and clients on shared cores: the summary's second column. */
    void sharedCores(Report shared) {
        this.sharedCores = shared;
        json.put("shared_cores", shared.json);
    }

    void provenance(Map<String, Object> provenance) {
        json.put("provenance", provenance);
    }

    void capacity(Map<String, Object> section) {
        json.put("capacity", section);
    }

    /** @param upper from the server's join stamp; @param lower from the first sign of the join */
    void latency(Map<String, Object> section, List<Double> upper, List<Double> lower) {
        json.put("lone_event_latency", section);
        this.upper = upper;
        this.lower = lower;
    }

    void storm(Map<String, Object> storm) {
        storms.add(storm);
        json.put("join_storm", storms);
    }

    void floor(Map<String, Object> section) {
        json.put("floor", section);
    }

    void peers(Map<String, Object> section) {
        json.put("peers", section);
    }

    void departure(Map<String, Object> section) {
        json.put("departure", section);
    }

    void callback(Map<String, Object> section) {
        json.put("callback_cost", section);
    }

    /** Issue 11: libotc's own cost ({@link MeasureLibotc}, {@link ReportLibotc}). */
    void libotc(Map<String, Object> section) {
        json.put("libotc", section);
    }

    /** Idle CPU at each heartbeat profile ({@link MeasureHeartbeat}, {@link ReportHeartbeat}). */
    void heartbeat(Map<String, Object> section) {
        json.put("heartbeat", section);
    }

    /** Issue 15: one node beside a cluster over Redis ({@link MeasureScaleOut}, {@link ReportScaleOut}). */
    void scaleOut(Map<String, Object> section) {
        json.put("scale_out", section);
    }

    /** A part's figures as recorded (a scratch report's, read back by {@link MeasureScaleOut}). */
    Object figures(String key) {
        return json.get(key);
    }

    void failure(String part, Throwable e) {
        failures.put(part, String.valueOf(e.getMessage()));
        json.put("failures", failures);
    }

    void server(ServerTarget server) {
        json.put("server_pid", server.pid().isPresent() ? server.pid().getAsLong() : null);
    }

    List<Path> write(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path jsonFile = dir.resolve(name + ".json");
        Path mdFile = dir.resolve(name + ".md");
        Path pngFile = dir.resolve(name + ".png");
        Path peersFile = dir.resolve(name + "-peers.png");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), json);
        ReportChart.write(pngFile, upper, lower, storms, section("lone_event_latency").get("members"));
        ReportPeers peers = new ReportPeers(json, storms);
        if (peers.present()) {
            peers.chart(peersFile);
        }
        Files.writeString(mdFile, markdown(pngFile.getFileName().toString(), peersFile.getFileName().toString()));
        return peers.present() ? List.of(mdFile, jsonFile, pngFile, peersFile) : List.of(mdFile, jsonFile, pngFile);
    }

    // --- markdown ---------------------------------------------------------------------------

    private String markdown(String chart, String peersChart) {
        StringBuilder md = new StringBuilder();
        md.append("# Rollcall benchmarks, ").append(started).append("\n\n");
        md.append("Written by `scripts/bench` (`rollcall-harness bench`). Figures are what this run measured; ")
                .append("a figure that misses its target is reported, never hidden.\n\n");
        provenance(md);
        md.append("## Conditions\n\n| | |\n|---|---|\n");
        section("conditions").forEach((key, value) -> md.append("| ").append(key.replace('_', ' ')).append(" | ")
                .append(value).append(" |\n"));
        summary(md);
        md.append("\n![latency distribution and join-storm convergence](").append(chart).append(")\n");
        ReportSections sections = sections();
        sections.loneLatency(md);
        sections.joinStorms(md);
        sections.capacity(md);
        sections.departure(md);
        sections.floorSection(md);
        ReportPeers peers = new ReportPeers(json, storms);
        if (peers.present()) {
            peers.section(md, peersChart);
        }
        sections.callbackCost(md);
        new ReportLibotc(json).section(md);
        new ReportHeartbeat(json).section(md);
        new ReportScaleOut(json).section(md);
        if (!failures.isEmpty()) {
            md.append("\n## Parts that did not run to the end\n\n");
            failures.forEach((part, why) -> md.append("- ").append(part).append(": ").append(why).append('\n'));
        }
        return md.toString();
    }

    /** Commit, dirty banner, hashes, command and load: enough to trace and repeat the run. */
    private void provenance(StringBuilder md) {
        Map<String, Object> p = section("provenance");
        if (p.isEmpty()) {
            return;
        }
        if (Boolean.TRUE.equals(p.get("dirty"))) {
            md.append("> **DIRTY TREE: these figures belong to no commit.** The working tree had uncommitted ")
                    .append("changes to tracked files when this ran: ").append(p.get("uncommitted_files"))
                    .append(".\n\n");
        }
        md.append("> Load average at the start: ").append(section("conditions").get("load_average_at_start"))
                .append(". The machine may be shared with other builds: a load average near or above the core count ")
                .append("makes every figure noisy.\n\n");
        md.append("## Provenance\n\n| | |\n|---|---|\n");
        md.append("| commit | `").append(p.get("commit")).append("`").append(Boolean.TRUE.equals(p.get("dirty"))
                ? " **(dirty)**" : " (clean)").append(" |\n");
        md.append("| command | `").append(p.get("command")).append("` |\n");
        map(p, "artifacts").forEach((label, value) -> md.append("| ").append(label).append(" | `").append(value)
                .append("` |\n"));
        md.append('\n');
    }

    /** One line of the summary: the target, what this run measured, and whether it met the target. */
    record Row(String target, String measured, boolean met) {
    }

    /** The summary rows by measurement, in order. */
    Map<String, Row> summaryRows() {
        Map<String, Row> rows = new LinkedHashMap<>();
        Map<String, Object> lone = section("lone_event_latency");
        if (!lone.isEmpty()) {
            Map<String, Object> upperStats = map(lone, "from_join_stamp_ms");
            String tail = upperStats.get("p99") instanceof Number ? "p99" : "p95";
            double high = number(upperStats, tail);
            double low = number(map(lone, "from_first_sign_ms"), tail);
            Map<String, Object> perRun = map(lone, "from_join_stamp_run_tail_ms");
            String runs = perRun.isEmpty() ? "" : String.format(Locale.ROOT, "; per run of %s: p%.0f %s",
                    lone.get("probes_per_run"), number(lone, "run_tail_percentile"), medianRange(perRun));
            add(rows, "lone-event latency " + tail + " (" + upperStats.get("n") + " probes"
                            + (tail.equals("p95") ? ": too few for a p99" : "") + "), " + lone.get("members")
                            + " members", "p99 < 2 ms",
                    "between " + ms(low) + " and " + ms(high) + runs + floorNote(high,
                            map(sections().floorFanout(lone.get("members")), "p95_ms"), "the p95 fan-out floor"),
                    tail.equals("p99") && high < LONE_P99_MS);
            if (lone.get("server_cpu_ms_per_probe") instanceof Number && lone.get("members") instanceof Number members) {
                double usPerFrame = Format.serverUsPerMemberFrame(lone, true);
                String withoutJit = lone.get("server_jit_cpu_ms_per_probe") instanceof Number jit && jit.doubleValue() > 0
                        ? String.format(Locale.ROOT, "; %.1f us without the JIT compiler's threads",
                                Format.serverUsPerMemberFrame(lone, false)) : "";
                add(rows, "server CPU per member frame of a lone event, " + members + " members", "<= 6 us",
                        String.format(Locale.ROOT, "%.1f us (heartbeats' share taken out%s)%s", usPerFrame, withoutJit,
                                floorCpuNote(map(sections().floorFanout(members), "writer_cpu_us_per_write"))),
                        usPerFrame <= SERVER_US_PER_MEMBER_FRAME);
            }
        }
        for (Map<String, Object> storm : storms) {
            if (((Number) storm.get("members")).intValue() == STORM_TARGET_MEMBERS) {
                Map<String, Object> runs = map(storm, "convergence_ms_runs");
                double worst = number(runs, "max");
                double reconnects = number(map(storm, "reconnects_runs"), "max");
                add(rows, "join storm of 2000, time to full rosters", "< 2 s, 0 reconnects",
                        storm.containsKey("failed") ? "did not converge" : medianRange(runs) + " over "
                                + storm.get("runs") + " runs" + floorNote(number(runs, "median"),
                                map(sections().floorStorm(storm.get("members")), "batched_ms"), "the batched floor")
                                + String.format(Locale.ROOT, "; reconnects: at most %.0f in a run", reconnects),
                        worst < STORM_TARGET_MS && reconnects == 0);
            }
        }
        for (Map<String, Object> storm : storms) {
            if (((Number) storm.get("members")).intValue() == LARGE_STORM_MEMBERS) {
                Map<String, Object> runs = map(storm, "convergence_ms_runs");
                double reconnects = number(map(storm, "reconnects_runs"), "max");
                boolean failed = storm.containsKey("failed");
                add(rows, "join storm of 5000, time to full rosters", "converges, 0 reconnects (time reported)",
                        failed ? "did not converge" : medianRange(runs) + " over " + storm.get("runs") + " runs"
                                + String.format(Locale.ROOT, "; reconnects: at most %.0f in a run", reconnects),
                        !failed && reconnects == 0);
            }
        }
        if (!storms.isEmpty() && storms.stream().noneMatch(s -> ((Number) s.get("members")).intValue()
                == STORM_TARGET_MEMBERS)) {
            boolean failed = storms.stream().anyMatch(storm -> storm.containsKey("failed"));
            add(rows, "join storm of 2000, time to full rosters", "< 2 s, 0 reconnects",
                    failed ? "not run (a smaller storm failed)" : "not in this run's sizes", false);
        }
        Map<String, Object> capacity = section("capacity");
        if (!capacity.isEmpty()) {
            Map<String, Object> target = null;
            Map<String, Object> healthy = null;
            for (Object step : list(capacity, "steps")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) step;
                if (((Number) s.get("connections")).intValue() == CAPACITY_TARGET) {
                    target = s;
                }
                if (number(s, "clients_connected") >= 0.9 * number(s, "connections")) {
                    healthy = s;
                }
            }
            long held = target == null ? 0 : ((Number) target.get("server_connections")).longValue();
            add(rows, "18k idle connections on one server", "all held",
                    target == null ? "not reached in this run" : held + " held", held >= CAPACITY_TARGET);
            if (healthy != null) {
                double rss = number(healthy, "rss_bytes_per_connection");
                double heap = number(healthy, "heap_bytes_per_connection");
                add(rows, "memory per idle connection (at " + healthy.get("server_connections") + ")",
                        "<= 2 KB heap, <= 6 KB RSS", kb(heap) + " heap, " + kb(rss) + " RSS",
                        heap <= HEAP_PER_CONNECTION_TARGET && rss <= RSS_PER_CONNECTION_TARGET);
            }
        }
        Map<String, Object> departure = section("departure");
        if (!departure.isEmpty()) {
            departureRow(rows, departure, "graceful", "graceful leave seen by all", "< 10 ms", GRACEFUL_MS);
            departureRow(rows, departure, "killed", "kill -9 seen by all", "<= 550 ms (grace 500 + 10%)", KILLED_MS);
            departureRow(rows, departure, "vanished", "vanished peer (SIGSTOP) seen by all",
                    "<= 4400 ms (timeout 2500 + grace 1500, + 10%), < 5 s", VANISHED_MS);
        }
        Map<String, Object> cost = section("callback_cost");
        Map<String, Object> callback = map(cost, "result");
        double c = number(map(cost, "c_callback_ns_per_event"), "p50");
        if (!callback.isEmpty() && callback.get("java_ns_per_event") instanceof Number java) {
            if (callback.get("c_ns_per_event") instanceof Number sameHarness) {
                c = sameHarness.doubleValue();
            }
            add(rows, String.format(Locale.ROOT, "callback cost into Java (into C: %.0f ns)", c), "< 250 ns",
                    String.format(Locale.ROOT, "%.0f ns", java.doubleValue()), java.doubleValue() < CALLBACK_NS);
        } else if (!Double.isNaN(c)) {
            add(rows, "callback cost into C (otc-load); the Java figure is missing", "< 250 ns into Java",
                    String.format(Locale.ROOT, "%.0f ns into C", c), false);
        }
        new ReportLibotc(json).rows(rows);
        new ReportHeartbeat(json).rows(rows);
        new ReportScaleOut(json).rows(rows);
        return rows;
    }

    private void departureRow(Map<String, Row> rows, Map<String, Object> departure, String kind, String what, String target,
                              double limit) {
        Map<String, Object> stats = map(departure, kind);
        if (!stats.isEmpty()) {
            double max = number(stats, "max");
            String note = kind.equals("graceful") ? floorNote(number(map(stats, "runs_ms"), "median"),
                    map(sections().floorFanout(departure.get("observers")), "p50_ms"), "the fan-out floor") : "";
            add(rows, what + " (" + stats.get("n") + " runs)", target, medianRange(map(stats, "runs_ms")) + note,
                    max <= limit);
        }
    }

    /** "; 12.3× the batched floor (40 ms)", or nothing without a floor. */
    private String floorNote(double ours, Map<String, Object> floorRuns, String which) {
        String ratio = sections().ratio(ours, floorRuns);
        return ratio.isEmpty() ? "" : "; " + ratio + " " + which + " (" + ms(number(floorRuns, "median")) + ")";
    }

    /** "; the floor: X us per loopback write" from the floor writer's CPU, or "" when not measured. */
    private static String floorCpuNote(Map<String, Object> floorCpu) {
        return floorCpu.isEmpty() ? "" : String.format(Locale.ROOT, "; the floor: %.1f us of CPU per loopback write "
                + "(otc-floor's writer, same run)", number(floorCpu, "median"));
    }

    private static void add(Map<String, Row> rows, String what, String target, String measured, boolean met) {
        rows.put(what, new Row(target, measured, met));
    }

    /** The summary table; with a shared-cores run, its figures in a second column. */
    private void summary(StringBuilder md) {
        Map<String, Row> rows = summaryRows();
        Map<String, Row> other = sharedCores == null ? Map.of() : sharedCores.summaryRows();
        if (sharedCores == null) {
            md.append("\n## Against the targets\n\n| measurement | target | measured | |\n|---|---|---|---|\n");
        } else {
            md.append("\n## Against the targets\n\n| measurement | target | measured, pinned | | measured, shared cores "
                    + "| |\n|---|---|---|---|---|---|\n");
        }
        rows.forEach((what, row) -> {
            md.append("| ").append(what).append(" | ").append(row.target()).append(" | ").append(row.measured())
                    .append(" | ").append(row.met() ? "met" : "missed");
            if (sharedCores != null) {
                Row shared = other.get(what);
                md.append(" | ").append(shared == null ? "not run" : shared.measured()).append(" | ")
                        .append(shared == null ? "" : shared.met() ? "met" : "missed");
            }
            md.append(" |\n");
        });
    }


    private ReportSections sections() {
        return new ReportSections(json, storms);
    }

    private Map<String, Object> section(String key) {
        return Format.map(json, key);
    }
}
