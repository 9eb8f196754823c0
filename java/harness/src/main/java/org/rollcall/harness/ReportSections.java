package org.rollcall.harness;

import static org.rollcall.harness.Format.countRange;
import static org.rollcall.harness.Format.kb;
import static org.rollcall.harness.Format.list;
import static org.rollcall.harness.Format.map;
import static org.rollcall.harness.Format.mb;
import static org.rollcall.harness.Format.medianRange;
import static org.rollcall.harness.Format.ms;
import static org.rollcall.harness.Format.number;
import static org.rollcall.harness.Format.profile;
import static org.rollcall.harness.Format.statsRow;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's detailed sections, one per part, from the figures the {@link Report} holds. */
final class ReportSections {
    private final Map<String, Object> json;
    private final List<Map<String, Object>> storms;

    ReportSections(Map<String, Object> json, List<Map<String, Object>> storms) {
        this.json = json;
        this.storms = storms;
    }

    /** Our figure over the floor's median, e.g. "12.3x"; empty when there is no floor for it. */
    String ratio(double ours, Map<String, Object> floorRuns) {
        double floor = number(floorRuns, "median");
        if (Double.isNaN(ours) || Double.isNaN(floor) || floor <= 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.1f×", ours / floor);
    }

    Map<String, Object> floorStorm(Object members) {
        return map(map(section("floor"), "storm"), String.valueOf(members));
    }

    Map<String, Object> floorFanout(Object members) {
        return map(map(section("floor"), "fanout"), String.valueOf(members));
    }


    void loneLatency(StringBuilder md) {
        Map<String, Object> lone = section("lone_event_latency");
        if (lone.isEmpty()) {
            return;
        }
        md.append("\n## 1. Lone-event latency\n\n").append(lone.get("members")).append(" members in one session over ")
                .append(lone.get("member_processes")).append(" otc-load processes; ").append(lone.get("probes"))
                .append(" times, one more client joins alone (then leaves), after ")
                .append(lone.getOrDefault("warm_up_probes", 0)).append(" such probes untimed (the JIT). ")
                .append("Probes where not every member saw the join: ")
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
                Format.serverUsPerMemberFrame(lone, true), 1000 * (members - membersIdle) / deliveries));
        double jit = number(lone, "server_jit_cpu_ms_per_probe");
        if (jit > 0) {
            md.append(String.format(Locale.ROOT, "The server's JIT compiler threads took %.1f ms of the server's per probe "
                    + "(still compiling the join-and-leave path after the warm-up probes): %.1f us per member frame "
                    + "without them.%n", jit, Format.serverUsPerMemberFrame(lone, false)));
        }
        String floorCpu = writerCpu(floorFanout(lone.get("members")));
        if (!floorCpu.isEmpty()) {
            md.append("The floor under the server's figure, one loopback write of a frame by `otc-floor`'s writer "
                    + "in the same run: ").append(floorCpu).append(" (below).\n");
        }
        profile(md, "Server CPU while probing", map(lone, "server_profile"));
        md.append("\nThe true latency lies between the first two rows. The spread from the first member to the "
                + "last is the fan-out itself: the server writes one frame per member, and each otc-load process "
                + "reads its members' sockets one after the other on libotc's single loop thread; server and "
                + "clients share 2 cores here.\n");
    }

    void joinStorms(StringBuilder md) {
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

    void capacity(StringBuilder md) {
        Map<String, Object> capacity = section("capacity");
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
                    .append(String.format(Locale.ROOT, "%.0f%%%s / %.0f%%", number(s, "idle_server_cpu_percent"),
                            s.containsKey("idle_server_cpu_system_percent") ? String.format(Locale.ROOT,
                                    " (%.0f%% kernel)", number(s, "idle_server_cpu_system_percent")) : "",
                            number(s, "idle_clients_cpu_percent"))).append(" | ").append(s.get("client_failed"))
                    .append(" / ").append(s.get("client_ended")).append(" / ").append(s.get("client_reconnects"))
                    .append(" |\n");
            if (((Number) s.get("clients_connected")).doubleValue() >= 0.9 * ((Number) s.get("connections")).doubleValue()) {
                last = s;
            }
        }
        for (Object step : list(capacity, "steps")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> hold = (Map<String, Object>) ((Map<String, Object>) step).get("hold");
            if (hold != null) {
                md.append(String.format(Locale.ROOT, "%nHeld idle for %.0f s at %s clients: the server listed %s "
                                + "connections before and %s after; over the hold the clients saw %s drops, started %s "
                                + "reconnects, had %s errors, %s failed and %s ended; server CPU %.1f%% user + %.1f%% "
                                + "kernel of one core.%n",
                        number(hold, "seconds"), ((Map<?, ?>) step).get("connections"),
                        hold.get("server_connections_before"), hold.get("server_connections_after"),
                        hold.get("client_dropped"), hold.get("client_reconnects_started"), hold.get("client_errors"),
                        hold.get("client_failed"), hold.get("client_ended"), number(hold, "server_cpu_user_percent"),
                        number(hold, "server_cpu_system_percent")));
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
                            + "CPU while idle is heartbeats: the server pings each client every heartbeat interval "
                            + "and reads its pong (100%% = one core). One process cannot hold 100k sockets here "
                            + "anyway: the open-files cap is 20,000 per process.%n",
                    held, mb(baseHeap), kb(heap), mb(baseHeap + 100_000 * heap), mb(baseRss), kb(rss),
                    mb(baseRss + 100_000 * rss), serverCpu, held, serverCpu / 100 * 100_000 / held));
        }
    }

    void floorSection(StringBuilder md) {
        Map<String, Object> floor = section("floor");
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
        md.append("\n| fan-out: one frame to each of N sockets | p50 | p95 | writer CPU per write (kernel) |\n"
                + "|---|---|---|---|\n");
        map(floor, "fanout").forEach((n, value) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> fanout = (Map<String, Object>) value;
            md.append("| N = ").append(n).append(" | ").append(medianRange(map(fanout, "p50_ms"))).append(" | ")
                    .append(medianRange(map(fanout, "p95_ms"))).append(" | ").append(writerCpu(fanout))
                    .append(" |\n");
        });
    }

    /** The floor writer's CPU per write, "median (min–max) us, K% kernel", or "" when not measured. */
    static String writerCpu(Map<String, Object> fanout) {
        Map<String, Object> cpu = map(fanout, "writer_cpu_us_per_write");
        if (cpu.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, "%.1f us (%.1f–%.1f), %.0f%% kernel", number(cpu, "median"),
                number(cpu, "min"), number(cpu, "max"), 100 * number(map(fanout, "writer_kernel_share"), "median"));
    }

    void departure(StringBuilder md) {
        Map<String, Object> departure = section("departure");
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

    void departureDetail(StringBuilder md, Map<String, Object> departure, String kind, String what, String target) {
        Map<String, Object> stats = map(departure, kind);
        if (!stats.isEmpty()) {
            md.append("| ").append(what).append(" | ").append(stats.get("n")).append(" | ")
                    .append(medianRange(map(stats, "runs_ms"))).append(" | ").append(stats.get("reasons"))
                    .append(" | ").append(target).append(" |\n");
        }
    }

    void callbackCost(StringBuilder md) {
        Map<String, Object> callback = section("callback_cost");
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

    private Map<String, Object> section(String key) {
        return Format.map(json, key);
    }
}
