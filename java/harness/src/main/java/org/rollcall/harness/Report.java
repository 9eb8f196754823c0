package org.rollcall.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The benchmark report: figures by measurement, compared with the targets of issue 7, written as
 * markdown, JSON and a PNG chart (lone-event latency distribution, join-storm convergence).
 */
final class Report {
    /** The targets of issue 7. */
    static final double LONE_P99_MS = 2;
    static final int STORM_TARGET_MEMBERS = 2000;
    static final double STORM_TARGET_MS = 5000;
    static final int CAPACITY_TARGET = 18_000;
    static final double BYTES_PER_CONNECTION_TARGET = 10 * 1024;
    static final double GRACEFUL_MS = 10;
    static final double KILLED_MS = 500 * 1.1;
    static final double VANISHED_MS = Math.min((2500 + 1500) * 1.1, 5000);
    static final double CALLBACK_NS = 500;

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

    /** Our figure over the floor's median, e.g. "12.3x"; empty when there is no floor for it. */
    private String ratio(double ours, Map<String, Object> floorRuns) {
        double floor = number(floorRuns, "median");
        if (Double.isNaN(ours) || Double.isNaN(floor) || floor <= 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.1f×", ours / floor);
    }

    private Map<String, Object> floorStorm(Object members) {
        return map(map(map("floor"), "storm"), String.valueOf(members));
    }

    private Map<String, Object> floorFanout(Object members) {
        return map(map(map("floor"), "fanout"), String.valueOf(members));
    }

    void departure(Map<String, Object> section) {
        json.put("departure", section);
    }

    void callback(Map<String, Object> section) {
        json.put("callback_cost", section);
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
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), json);
        writeChart(pngFile);
        Files.writeString(mdFile, markdown(pngFile.getFileName().toString()));
        return List.of(mdFile, jsonFile, pngFile);
    }

    // --- markdown ---------------------------------------------------------------------------

    private String markdown(String chart) {
        StringBuilder md = new StringBuilder();
        md.append("# Rollcall benchmarks, ").append(started).append("\n\n");
        md.append("Written by `scripts/bench` (`rollcall-harness bench`). Figures are what this run measured; ")
                .append("a figure that misses its target is reported, never hidden.\n\n");
        provenance(md);
        md.append("## Conditions\n\n| | |\n|---|---|\n");
        map("conditions").forEach((key, value) -> md.append("| ").append(key.replace('_', ' ')).append(" | ")
                .append(value).append(" |\n"));
        summary(md);
        md.append("\n![latency distribution and join-storm convergence](").append(chart).append(")\n");
        loneLatency(md);
        joinStorms(md);
        capacity(md);
        departure(md);
        floorSection(md);
        callbackCost(md);
        if (!failures.isEmpty()) {
            md.append("\n## Parts that did not run to the end\n\n");
            failures.forEach((part, why) -> md.append("- ").append(part).append(": ").append(why).append('\n'));
        }
        return md.toString();
    }

    /** Commit, dirty banner, hashes, command and load: enough to trace and repeat the run. */
    private void provenance(StringBuilder md) {
        Map<String, Object> p = map("provenance");
        if (p.isEmpty()) {
            return;
        }
        if (Boolean.TRUE.equals(p.get("dirty"))) {
            md.append("> **DIRTY TREE: these figures belong to no commit.** The working tree had uncommitted ")
                    .append("changes to tracked files when this ran: ").append(p.get("uncommitted_files"))
                    .append(".\n\n");
        }
        md.append("> Load average at the start: ").append(map("conditions").get("load_average_at_start"))
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
        Map<String, Object> lone = map("lone_event_latency");
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
                            map(floorFanout(lone.get("members")), "p95_ms"), "the p95 fan-out floor"),
                    tail.equals("p99") && high < LONE_P99_MS);
        }
        for (Map<String, Object> storm : storms) {
            if (((Number) storm.get("members")).intValue() == STORM_TARGET_MEMBERS) {
                Map<String, Object> runs = map(storm, "convergence_ms_runs");
                double worst = number(runs, "max");
                add(rows, "join storm of 2000, time to full rosters", "< 5 s",
                        storm.containsKey("failed") ? "did not converge" : medianRange(runs) + " over "
                                + storm.get("runs") + " runs" + floorNote(number(runs, "median"),
                                map(floorStorm(storm.get("members")), "batched_ms"), "the batched floor"),
                        worst < STORM_TARGET_MS);
            }
        }
        if (!storms.isEmpty() && storms.stream().noneMatch(s -> ((Number) s.get("members")).intValue()
                == STORM_TARGET_MEMBERS)) {
            boolean failed = storms.stream().anyMatch(storm -> storm.containsKey("failed"));
            add(rows, "join storm of 2000, time to full rosters", "< 5 s",
                    failed ? "not run (a smaller storm failed)" : "not in this run's sizes", false);
        }
        Map<String, Object> capacity = map("capacity");
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
                add(rows, "memory per idle connection (at " + healthy.get("server_connections") + ")", "<= 10 KB",
                        kb(heap) + " heap, " + kb(rss) + " RSS", Math.max(heap, rss) <= BYTES_PER_CONNECTION_TARGET);
            }
        }
        Map<String, Object> departure = map("departure");
        if (!departure.isEmpty()) {
            departureRow(rows, departure, "graceful", "graceful leave seen by all", "< 10 ms", GRACEFUL_MS);
            departureRow(rows, departure, "killed", "kill -9 seen by all", "<= 550 ms (grace 500 + 10%)", KILLED_MS);
            departureRow(rows, departure, "vanished", "vanished peer (SIGSTOP) seen by all",
                    "<= 4400 ms (timeout 2500 + grace 1500, + 10%), < 5 s", VANISHED_MS);
        }
        Map<String, Object> cost = map("callback_cost");
        Map<String, Object> callback = map(cost, "result");
        double c = number(map(cost, "c_callback_ns_per_event"), "p50");
        if (!callback.isEmpty() && callback.get("java_ns_per_event") instanceof Number java) {
            if (callback.get("c_ns_per_event") instanceof Number sameHarness) {
                c = sameHarness.doubleValue();
            }
            add(rows, String.format(Locale.ROOT, "callback cost into Java (into C: %.0f ns)", c), "< 500 ns",
                    String.format(Locale.ROOT, "%.0f ns", java.doubleValue()), java.doubleValue() < CALLBACK_NS);
        } else if (!Double.isNaN(c)) {
            add(rows, "callback cost into C (otc-load); the Java figure is missing", "< 500 ns into Java",
                    String.format(Locale.ROOT, "%.0f ns into C", c), false);
        }
        return rows;
    }

    private void departureRow(Map<String, Row> rows, Map<String, Object> departure, String kind, String what, String target,
                              double limit) {
        Map<String, Object> stats = map(departure, kind);
        if (!stats.isEmpty()) {
            double max = number(stats, "max");
            String note = kind.equals("graceful") ? floorNote(number(map(stats, "runs_ms"), "median"),
                    map(floorFanout(departure.get("observers")), "p50_ms"), "the fan-out floor") : "";
            add(rows, what + " (" + stats.get("n") + " runs)", target, medianRange(map(stats, "runs_ms")) + note,
                    max <= limit);
        }
    }

    /** "; 12.3× the batched floor (40 ms)", or nothing without a floor. */
    private String floorNote(double ours, Map<String, Object> floorRuns, String which) {
        String ratio = ratio(ours, floorRuns);
        return ratio.isEmpty() ? "" : "; " + ratio + " " + which + " (" + ms(number(floorRuns, "median")) + ")";
    }

    private static void add(Map<String, Row> rows, String what, String target, String measured, boolean met) {
        rows.put(what, new Row(target, measured, met));
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

    private void loneLatency(StringBuilder md) {
        Map<String, Object> lone = map("lone_event_latency");
        if (lone.isEmpty()) {
            return;
        }
        md.append("\n## 1. Lone-event latency\n\n").append(lone.get("members")).append(" members in one session over ")
                .append(lone.get("member_processes")).append(" otc-load processes; ").append(lone.get("probes"))
                .append(" times, one more client joins alone (then leaves). Probes where not every member saw the join: ")
                .append(lone.get("incomplete_probes")).append(".\n\n");
        md.append("Percentiles from an HdrHistogram of all probes; a p99 only from " + Stats.P99_MIN
                + " probes or more. Per run of ").append(lone.get("probes_per_run")).append(" probes (")
                .append(lone.get("runs")).append(" runs, the same members), from the join stamp: p")
                .append(String.format(Locale.ROOT, "%.0f", number(lone, "run_tail_percentile"))).append(" ")
                .append(medianRange(map(lone, "from_join_stamp_run_tail_ms"))).append(", p50 ")
                .append(medianRange(map(lone, "from_join_stamp_run_median_ms"))).append(" (median of the runs, then "
                        + "min–max).\n\n");
        md.append("| until the last member's on_connection_created, ms | n | p50 | p90 | p95 | p99 | max |\n"
                + "|---|---|---|---|---|---|---|\n");
        statsRow(md, "from the server's join stamp (creation time, whole ms: up to 1 ms too long)",
                map(lone, "from_join_stamp_ms"));
        statsRow(md, "from the first sign of the join (joiner's on_connected or first member's event)",
                map(lone, "from_first_sign_ms"));
        statsRow(md, "from the joiner's on_connected (negative: members heard first)",
                map(lone, "after_joiner_connected_ms"));
        statsRow(md, "from the first member's event (the fan-out spread)", map(lone, "first_to_last_member_ms"));
        md.append("\n| other, ms | n | p50 | p90 | p95 | p99 | max |\n|---|---|---|---|---|---|---|\n");
        statsRow(md, "joiner: connect call to on_connected (TCP, WebSocket, token check)", map(lone, "joiner_connect_ms"));
        statsRow(md, "graceful leave: close to the last member's on_connection_dropped", map(lone, "graceful_leave_ms"));
        int deliveries = 2 * ((Number) lone.get("members")).intValue();
        double server = number(lone, "server_cpu_ms_per_probe");
        double serverIdle = number(lone, "server_idle_cpu_ms_per_probe");
        double members = number(lone, "member_processes_cpu_ms_per_probe");
        double membersIdle = number(lone, "member_processes_idle_cpu_ms_per_probe");
        md.append(String.format(Locale.ROOT, "%nCPU per probe (a join and a leave: %d deliveries): server %.1f ms "
                        + "(%.0f%% in the kernel), the %s member processes %.1f ms together (%.0f%% in the kernel). "
                        + "Of these, the members' heartbeats alone (measured before probing) take %.1f ms and %.1f ms, "
                        + "which leaves per event delivered to one member: server %.1f us, members %.1f us.%n",
                deliveries, server, 100 * number(lone, "server_kernel_share"), lone.get("member_processes"),
                members, 100 * number(lone, "member_processes_kernel_share"), serverIdle, membersIdle,
                1000 * (server - serverIdle) / deliveries, 1000 * (members - membersIdle) / deliveries));
        profile(md, "Server CPU while probing", map(lone, "server_profile"));
        md.append("\nThe true latency lies between the first two rows. The spread from the first member to the "
                + "last is the fan-out itself: the server writes one frame per member, and each otc-load process "
                + "reads its members' sockets one after the other on libotc's single loop thread; server and "
                + "clients share 2 cores here.\n");
    }

    private void joinStorms(StringBuilder md) {
        if (storms.isEmpty()) {
            return;
        }
        md.append("\n## 2. Join storm\n\nN clients, loaded into held otc-load processes, released at once. "
                + "Converged = every client holds the other N-1. Events and frames are the server's /metrics "
                + "counters over the storm; CPU is user+system time of the server and of the otc-load processes.\n\n");
        md.append("Each size runs several times: converged, all connected and events/s are the median, then the "
                + "range (min–max); the other columns are the median run's.\n\n");
        md.append("| N | runs | client processes | converged | × floor, batched / unbatched | all connected | events | frames "
                + "| events/s | events per frame | server CPU (kernel) | client CPU (kernel) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> s : storms) {
            if (s.containsKey("failed")) {
                md.append("| ").append(s.get("members")).append(" | ").append(s.get("runs_converged_before"))
                        .append(" converged, then one did not (below) | | | | | | | | | | |\n");
                continue;
            }
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %,d | %,d | %s | %.1f | %,d ms (%.0f%%) | %,d ms (%.0f%%) |%n",
                    s.get("members"), s.get("runs"), s.get("client_processes"),
                    medianRange(map(s, "convergence_ms_runs")),
                    ratio(number(map(s, "convergence_ms_runs"), "median"), map(floorStorm(s.get("members")), "batched_ms"))
                            + " / " + ratio(number(map(s, "convergence_ms_runs"), "median"),
                            map(floorStorm(s.get("members")), "unbatched_ms")),
                    medianRange(map(s, "all_connected_ms_runs")),
                    ((Number) s.get("events_sent")).longValue(), ((Number) s.get("frames_sent")).longValue(),
                    countRange(map(s, "events_per_second_runs")),
                    number(s, "events_per_frame"), ((Number) s.get("server_cpu_ms")).longValue(),
                    100 * number(s, "server_kernel_share"), ((Number) s.get("client_cpu_ms")).longValue(),
                    100 * number(s, "client_kernel_share")));
        }
        for (Map<String, Object> s : storms) {
            if (s.containsKey("failed")) {
                md.append("\nThe storm of ").append(s.get("members")).append(" did not converge: ").append(s.get("failed"))
                        .append(". By then the clients had started ").append(s.get("reconnects"))
                        .append(" reconnections and seen ").append(s.get("events_seen_by_clients"))
                        .append(" events; larger storms were skipped.\n");
            }
            profile(md, "Server CPU in the storm of " + s.get("members"), map(s, "server_profile"));
        }
        md.append("\nIn a storm of N, each pair of clients makes one event (to the earlier one; the later one finds "
                + "the earlier in its first roster): N(N-1)/2 events, N(N-1) roster entries in all. With 2 cores "
                + "shared by the server and the clients, the wall time is at least their CPU time together "
                + "divided by 2.\n");
    }

    private void capacity(StringBuilder md) {
        Map<String, Object> capacity = map("capacity");
        if (capacity.isEmpty()) {
            return;
        }
        Map<String, Object> base = map(capacity, "baseline");
        md.append("\n## 3. Capacity\n\nIdle connections in sessions of ").append(capacity.get("session_size"))
                .append(", events on, joined at 500/s, spread over otc-load processes of ")
                .append(capacity.get("clients_per_process"))
                .append(" clients. Heap is the live heap after a full GC (`jcmd GC.run`, `GC.heap_info`); RSS is "
                        + "VmRSS. Baseline with no client: heap ")
                .append(mb(number(base, "heap_used_bytes"))).append(", RSS ").append(mb(number(base, "rss_bytes")))
                .append(". Per connection: (figure - baseline) / connections the server holds.\n\n")
                .append("| clients | connected | server lists | heap used | RSS | heap per connection "
                        + "| RSS per connection | CPU while idle: server / clients | failed / ended / reconnects |\n"
                        + "|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Object> last = null;
        for (Object step : list(capacity, "steps")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> s = (Map<String, Object>) step;
            Map<String, Object> memory = map(s, "memory");
            md.append("| ").append(s.get("connections")).append(" | ").append(s.get("clients_connected")).append(" | ")
                    .append(s.get("server_connections")).append(" | ")
                    .append(mb(number(memory, "heap_used_bytes"))).append(" | ").append(mb(number(memory, "rss_bytes")))
                    .append(" | ").append(kb(number(s, "heap_bytes_per_connection"))).append(" | ")
                    .append(kb(number(s, "rss_bytes_per_connection"))).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f%% / %.0f%%", number(s, "idle_server_cpu_percent"),
                            number(s, "idle_clients_cpu_percent"))).append(" | ").append(s.get("client_failed"))
                    .append(" / ").append(s.get("client_ended")).append(" / ").append(s.get("client_reconnects"))
                    .append(" |\n");
            if (((Number) s.get("clients_connected")).doubleValue() >= 0.9 * ((Number) s.get("connections")).doubleValue()) {
                last = s;
            }
        }
        if (last != null) {
            double heap = number(last, "heap_bytes_per_connection");
            double rss = number(last, "rss_bytes_per_connection");
            double baseHeap = number(base, "heap_used_bytes");
            double baseRss = number(base, "rss_bytes");
            double held = ((Number) last.get("server_connections")).doubleValue();
            double serverCpu = number(last, "idle_server_cpu_percent");
            md.append(String.format(Locale.ROOT, "%nProjected to 100,000 connections, from the step at %,.0f "
                            + "held connections (the largest that kept at least 90%% of its clients):%n%n"
                            + "- heap: %s + 100,000 x %s = %s%n- RSS: %s + 100,000 x %s = %s%n"
                            + "- server CPU for heartbeats alone: %.0f%% x 100,000 / %,.0f = %.1f cores%n%n"
                            + "CPU while idle is heartbeats: a native client and the server each send a ping and "
                            + "answer one every second (100%% = one core). One process cannot hold 100k sockets here "
                            + "anyway: the open-files cap is 20,000 per process.%n",
                    held, mb(baseHeap), kb(heap), mb(baseHeap + 100_000 * heap), mb(baseRss), kb(rss),
                    mb(baseRss + 100_000 * rss), serverCpu, held, serverCpu / 100 * 100_000 / held));
        }
    }

    private void floorSection(StringBuilder md) {
        Map<String, Object> floor = map("floor");
        if (floor.isEmpty()) {
            return;
        }
        md.append("\n## The physical floor\n\n`otc-floor` (native/tools) in the same run: frames of ")
                .append(floor.get("frame_bytes")).append(" bytes (a WebSocket frame of one event) from one writer "
                        + "thread to N loopback TCP sockets, drained by one reader thread with epoll; no JSON, no "
                        + "protocol. ").append(floor.get("placement")).append(" (writer where the server runs, reader "
                        + "where the clients run). A storm of N is N(N-1)/2 frames round-robin over N sockets, one "
                        + "write per frame (unbatched) or 64 per write (batched); at most ")
                .append(String.format(Locale.ROOT, "%,d", Floor.MAX_FRAMES)).append(" frames are written and a "
                        + "bigger storm is projected from that rate. A lone event is one frame to each of N sockets ("
                        + Floor.FANOUT_ROUNDS + " rounds per run). Median of ").append(floor.get("runs"))
                .append(" runs, then min–max.\n\n| floor | unbatched | batched |\n|---|---|---|\n");
        map(floor, "storm").forEach((n, value) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> storm = (Map<String, Object>) value;
            md.append("| storm of ").append(n).append(" (").append(String.format(Locale.ROOT, "%,d",
                            ((Number) storm.get("frames")).longValue())).append(" frames) | ")
                    .append(medianRange(map(storm, "unbatched_ms"))).append(" | ")
                    .append(medianRange(map(storm, "batched_ms"))).append(" |\n");
        });
        md.append("\n| fan-out: one frame to each of N sockets | p50 | p95 |\n|---|---|---|\n");
        map(floor, "fanout").forEach((n, value) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> fanout = (Map<String, Object>) value;
            md.append("| N = ").append(n).append(" | ").append(medianRange(map(fanout, "p50_ms"))).append(" | ")
                    .append(medianRange(map(fanout, "p95_ms"))).append(" |\n");
        });
    }

    private void departure(StringBuilder md) {
        Map<String, Object> departure = map("departure");
        if (departure.isEmpty()) {
            return;
        }
        md.append("\n## 4. Departure detection\n\nDefault server settings (heartbeat 1000/2500 ms, grace 500/1500 ms). "
                        + "A lone client in its own otc-load process leaves; ").append(departure.get("observers"))
                .append(" observers in another process. Time from the act (close frame sent, SIGKILL, SIGSTOP) "
                        + "until the last observer's on_connection_dropped.\n\n"
                        + "| case | runs | median (min–max) | reasons seen | target |\n|---|---|---|---|---|\n");
        departureDetail(md, departure, "graceful", "close frame (graceful)", "< 10 ms");
        departureDetail(md, departure, "killed", "kill -9 of the process", "<= 550 ms");
        departureDetail(md, departure, "vanished", "SIGSTOP (traffic stops, socket stays)", "<= 4400 ms, < 5 s");
        md.append("\nA vanished peer is found by the server's heartbeat check: silence of 2500 ms (counted from the "
                + "client's last frame, which may precede the SIGSTOP by up to one ping interval), then the 1500 ms "
                + "grace.\n");
    }

    private void departureDetail(StringBuilder md, Map<String, Object> departure, String kind, String what, String target) {
        Map<String, Object> stats = map(departure, kind);
        if (!stats.isEmpty()) {
            md.append("| ").append(what).append(" | ").append(stats.get("n")).append(" | ")
                    .append(medianRange(map(stats, "runs_ms"))).append(" | ").append(stats.get("reasons"))
                    .append(" | ").append(target).append(" |\n");
        }
    }

    private void callbackCost(StringBuilder md) {
        Map<String, Object> callback = map("callback_cost");
        if (callback.isEmpty()) {
            return;
        }
        md.append("\n## 5. Callback cost\n\nConnection events injected through libotc's test hook "
                + "(`otc_session_test_inject_connection_events`), without a network. Into C: otc-load's `inject`, "
                + "a callback that counts, ").append(callback.get("c_events_per_run")).append(" events per run, 5 runs.\n\n");
        Map<String, Object> c = map(callback, "c_callback_ns_per_event");
        if (!c.isEmpty()) {
            md.append("| ns per event into C | p50 | max |\n|---|---|---|\n");
            md.append(String.format(Locale.ROOT, "| libotc to a C callback | %.1f | %.1f |%n%n", number(c, "p50"),
                    number(c, "max")));
        }
        md.append("Into Java: `").append(callback.get("class")).append("` (java/binding), a ConnectionListener "
                + "called from the C core's thread.\n\n");
        Map<String, Object> result = map(callback, "result");
        if (result.isEmpty()) {
            md.append("No result line; its output:\n\n```\n");
            list(callback, "output").forEach(line -> md.append(line).append('\n'));
            md.append("```\n");
        } else {
            md.append("| | |\n|---|---|\n");
            result.forEach((key, value) -> md.append("| ").append(key).append(" | ").append(value).append(" |\n"));
        }
    }

    /** A JFR summary: share of the server's CPU samples by the innermost Rollcall method. */
    private static void profile(StringBuilder md, String title, Map<String, Object> profile) {
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

    private static String shortName(String method) {
        String[] parts = method.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : method;
    }

    private static void statsRow(StringBuilder md, String what, Map<String, Object> stats) {
        String p99 = stats.get("p99") instanceof Number n ? String.format(Locale.ROOT, "%.2f", n.doubleValue())
                : "(n < " + Stats.P99_MIN + ")";
        md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %s | %.2f |%n", what, stats.get("n"),
                number(stats, "p50"), number(stats, "p90"), number(stats, "p95"), p99, number(stats, "max")));
    }

    // --- chart ------------------------------------------------------------------------------

    private void writeChart(Path file) throws IOException {
        XYSeriesCollection latency = new XYSeriesCollection();
        latency.addSeries(cdf("from the server's join stamp (upper bound)", upper));
        latency.addSeries(cdf("from the first sign of the join (lower bound)", lower));
        JFreeChart left = ChartFactory.createXYLineChart("Lone-event latency" + membersTitle(),
                "ms", "percentile", latency, PlotOrientation.VERTICAL, true, false, false);

        XYSeriesCollection convergence = new XYSeriesCollection();
        for (Map<String, Object> storm : storms) {
            if (storm.containsKey("failed")) {
                continue;
            }
            XYSeries series = new XYSeries("N = " + storm.get("members"));
            for (Object point : list(storm, "timeline")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> p = (Map<String, Object>) point;
                series.add(number(p, "ms"), 100 * number(p, "fraction"));
            }
            convergence.addSeries(series);
        }
        JFreeChart right = ChartFactory.createXYLineChart("Join storm convergence", "ms since release",
                "% of all roster entries held", convergence, PlotOrientation.VERTICAL, true, false, false);

        BufferedImage image = new BufferedImage(1600, 600, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1600, 600);
        left.draw(g, new Rectangle2D.Double(0, 0, 800, 600));
        right.draw(g, new Rectangle2D.Double(800, 0, 800, 600));
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private String membersTitle() {
        Object members = map("lone_event_latency").get("members");
        return members == null ? "" : ", " + members + " members";
    }

    private static XYSeries cdf(String name, List<Double> samples) {
        XYSeries series = new XYSeries(name);
        List<Double> sorted = samples.stream().sorted().toList();
        for (int i = 0; i < sorted.size(); i++) {
            series.add(sorted.get(i), Double.valueOf(100.0 * (i + 1) / sorted.size()));
        }
        return series;
    }

    // --- small helpers ----------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private Map<String, Object> map(String key) {
        Object value = json.get(key);
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    private static List<?> list(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof List<?> l ? l : List.of();
    }

    private static double number(Map<String, Object> from, String key) {
        Object value = from.get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String ms(double ms) {
        return ms >= 1000 ? String.format(Locale.ROOT, "%.2f s", ms / 1000) : String.format(Locale.ROOT, "%.2f ms", ms);
    }

    private static String kb(double bytes) {
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1024);
    }

    private static String mb(double bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1024 / 1024);
    }
}
