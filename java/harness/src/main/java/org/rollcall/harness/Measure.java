package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The benchmark measurements; each one records its figures and conditions in the {@link Report}. */
final class Measure {
    static final Duration LINE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration BIG_TIMEOUT = Duration.ofMinutes(3);
    /** Total connects per second while filling the server for the capacity run. */
    private static final double CAPACITY_RATE = 500;
    /** How long the capacity run idles (heartbeats only) before measuring memory. */
    private static final long IDLE_MS = 5000;
    /** Lone joins and leaves before the timed probes, for the JIT. */
    private static final int WARM_UP_PROBES = 200;
    /** Connects per second of the lone-latency members, in all. */
    private static final double MEMBER_JOIN_RATE = 100;

    private final Harness harness;
    private final Report report;
    private final int runs;

    /** @param runs how many times each figure is measured: the report gives the median and the range */
    Measure(Harness harness, Report report, int runs) {
        this.harness = harness;
        this.report = report;
        this.runs = Math.max(1, runs);
    }

    // --- warm-up ---------------------------------------------------------------------------

    /**
     * Runs small storms first so the server's JIT has compiled its hot paths: a cold JVM runs the
     * first thousand joins interpreted, several times slower, and that is not what we measure.
     */
    void warmUp(int rounds, int members) {
        for (int round = 0; round < rounds; round++) {
            try {
                joinStorm(members);
            } catch (HarnessException e) {
                System.out.println("warm-up storm " + round + ": " + e.getMessage());
                harness.progress.end();
                tearDown();
            }
        }
    }

    // --- 3. capacity ------------------------------------------------------------------------

    /** Idle connections in sessions of {@code perSession}; server heap and RSS at each count. */
    void capacity(List<Integer> counts, int perSession, int perProcess, long holdSeconds) {
        long pid = harness.server.pid().orElseThrow(
                () -> new HarnessException("capacity needs --spawn-server: it reads the server's memory"));
        Memory baseline = Memory.measure(pid);
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("session_size", perSession);
        section.put("clients_per_process", perProcess);
        section.put("baseline", baseline.toJson());
        List<Map<String, Object>> steps = new ArrayList<>();
        section.put("steps", steps);
        report.capacity(section);
        int connected = 0;
        for (int count : counts.stream().sorted().toList()) {
            int more = count - connected;
            int processCount = (more + perProcess - 1) / perProcess;
            List<LoadProcess> processes = harness.spawnMany(processCount, "--rate",
                    Double.toString(CAPACITY_RATE / processCount), "--max-lines", "20");
            harness.progress.begin("capacity");
            harness.progress.phase("joining", count);
            long joinStart = System.nanoTime();
            for (int i = 0; i < more; i++) {
                int member = connected + i;
                String sessionId = "cap-" + (member / perSession);
                processes.get(i % processCount).add(sessionId, harness.token(sessionId, "c" + member), "");
            }
            long reached = awaitConnected(count, Duration.ofSeconds(30 + (long) (more / CAPACITY_RATE) * 3));
            double joinSeconds = (System.nanoTime() - joinStart) / 1e9;
            connected = count;
            harness.progress.phase("idle", count);
            long[] serverIdleBefore = Signals.cpuSplit(pid);
            long[] clientIdleBefore = cpuSplit(harness.processes());
            Clients.sleep(IDLE_MS); // let heartbeats run on every connection before measuring
            long[] serverIdleAfter = Signals.cpuSplit(pid);
            long[] clientIdleAfter = cpuSplit(harness.processes());
            Memory memory = Memory.measure(pid);
            Map<String, Double> metrics = harness.admin.metrics();
            long held = metrics.getOrDefault("rollcall_connections", (double) reached).longValue();
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("connections", count);
            step.put("clients_connected", reached);
            step.put("server_connections", held);
            step.put("client_processes", harness.processes().size());
            step.put("join_seconds", joinSeconds);
            step.put("memory", memory.toJson());
            step.put("heap_bytes_per_connection", (double) (memory.heapUsed() - baseline.heapUsed()) / held);
            step.put("rss_bytes_per_connection", (double) (memory.rss() - baseline.rss()) / held);
            step.put("idle_server_cpu_percent", 100.0 * (serverIdleAfter[0] + serverIdleAfter[1] - serverIdleBefore[0]
                    - serverIdleBefore[1]) / IDLE_MS);
            step.put("idle_server_cpu_system_percent", 100.0 * (serverIdleAfter[1] - serverIdleBefore[1]) / IDLE_MS);
            step.put("idle_clients_cpu_percent", 100.0 * (clientIdleAfter[0] + clientIdleAfter[1] - clientIdleBefore[0]
                    - clientIdleBefore[1]) / IDLE_MS);
            step.put("client_errors", harness.sum("errors"));
            step.put("client_failed", harness.sum("failed"));
            step.put("client_ended", harness.sum("ended"));
            step.put("client_reconnects", harness.sum("reconnects_started"));
            steps.add(step);
            System.out.printf("capacity %d: %d connected, heap %.0f B/conn, RSS %.0f B/conn%n", count, reached,
                    step.get("heap_bytes_per_connection"), step.get("rss_bytes_per_connection"));
            if (reached < count * 0.9) {
                System.out.println("capacity: fewer than 90% connected; not going further");
                break;
            }
            if (holdSeconds > 0 && count == counts.stream().mapToInt(Integer::intValue).max().orElse(0)) {
                step.put("hold", CapacityHold.hold(harness, pid, holdSeconds));
            }
        }
        harness.progress.end();
        tearDown();
    }

    /**
     * Polls the client processes until all {@code count} clients are connected, or every one that
     * is not has failed or ended, or the timeout passes. Returns how many are connected.
     */
    private long awaitConnected(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long connected = harness.sum("connected");
            if (connected >= count || connected + harness.sum("failed") + harness.sum("ended") >= count) {
                break;
            }
            Clients.sleep(200); // progress lines come every 500 ms
        }
        return harness.sum("connected");
    }

    // --- 1. lone-event latency --------------------------------------------------------------

    /**
     * A session of {@code members}; then, {@code probes} times, one client joins (and later leaves)
     * alone. Latency: from the join until the last member has its {@code on_connection_created}.
     * The join's instant is known to the millisecond only (the server's creation time), so two
     * figures bound it: from that stamp (at most 1 ms too long), and from the first sign of the join
     * on this machine, the joiner's {@code on_connected} or the first member's event (too short by
     * the server's own work before its first write).
     */
    void loneLatency(int members, int probes) {
        String sessionId = Clients.newSessionId("lone");
        int processCount = Math.max(2, (members + 249) / 250);
        // Members join at a steady pace: this part measures lone events, not a storm.
        List<LoadProcess> memberProcesses = harness.spawnMany(processCount, "--rate",
                Double.toString(MEMBER_JOIN_RATE / processCount));
        harness.progress.begin("lone-latency");
        harness.progress.phase("joining", members);
        List<CompletableFuture<JsonNode>> fulls = Clients.expect(memberProcesses, sessionId, members);
        Clients.add(harness, memberProcesses, sessionId, members, "m:");
        Clients.awaitFull(harness, fulls, sessionId, members, 0, BIG_TIMEOUT);
        LoadProcess prober = harness.spawn(1000);
        harness.progress.phase("warming", members);
        // The warm-up storms do not run this path (a lone join, its fan-out and leave): without these
        // throwaway probes the JIT is still compiling it while the probes are timed and their CPU counted.
        for (int i = 0; i < WARM_UP_PROBES; i++) {
            LoneProbe.run(harness, prober, memberProcesses, sessionId, "mark:warm-up-" + i);
        }
        harness.progress.phase("probing", members);
        // The members' heartbeats cost CPU too; measured alone first, to be told apart from the events.
        long[] serverIdleBefore = serverCpuSplit();
        long[] clientIdleBefore = cpuSplit(memberProcesses);
        Clients.sleep(IDLE_MS);
        double serverIdlePerMs = (double) Signals.cpuMillisBetween(serverCpuSplit(), serverIdleBefore) / IDLE_MS;
        double clientIdlePerMs =
                (double) Signals.cpuMillisBetween(cpuSplit(memberProcesses), clientIdleBefore) / IDLE_MS;
        ServerProfile profile = ServerProfile.start(harness, "latency");
        long[] serverCpuBefore = serverCpuSplit();
        long serverJitBefore = serverCompilerCpu();
        long[] clientCpuBefore = cpuSplit(memberProcesses);
        long probingStart = System.nanoTime();

        List<Double> fromStamp = new ArrayList<>();
        List<Double> fromFirstSign = new ArrayList<>();
        List<Double> afterJoiner = new ArrayList<>();
        List<Double> spread = new ArrayList<>();
        List<Double> connectTime = new ArrayList<>();
        List<Double> fromConnectCall = new ArrayList<>();
        List<Double> gracefulDrop = new ArrayList<>();
        int incomplete = 0;
        // The probes form `runs` consecutive runs on the same members; each run's tail is one figure.
        int perRun = Math.max(1, probes / runs);
        List<Double> runTails = new ArrayList<>();
        List<Double> runMedians = new ArrayList<>();
        for (int i = 0; i < probes; i++) {
            LoneProbe probe = LoneProbe.run(harness, prober, memberProcesses, sessionId, "mark:probe-" + i);
            LoneProbe.Marks seen = probe.created();
            JsonNode joined = probe.joined();
            if (seen.count() != members) {
                incomplete++;
            }
            long connectedAt = joined.path("connected_ns").asLong();
            long connectAt = joined.path("connect_ns").asLong();
            long stamp = joined.path("creation_ms").asLong() * 1_000_000;
            fromStamp.add(Clock.ms(seen.last() - stamp));
            fromFirstSign.add(Clock.ms(seen.last() - Math.min(seen.first(), connectedAt)));
            afterJoiner.add(Clock.ms(seen.last() - connectedAt));
            spread.add(Clock.ms(seen.last() - seen.first()));
            connectTime.add(Clock.ms(connectedAt - connectAt));
            fromConnectCall.add(Clock.ms(seen.last() - connectAt)); // as the peers measure a lone join
            gracefulDrop.add(Clock.ms(probe.dropped().last() - probe.leftAt()));
            if ((i + 1) % perRun == 0 && runTails.size() < runs) {
                Stats run = Stats.of(fromStamp.subList(fromStamp.size() - perRun, fromStamp.size()));
                runTails.add(run.percentile(run.tailPercentile()));
                runMedians.add(run.percentile(50));
            }
        }
        double probingMs = (System.nanoTime() - probingStart) / 1e6;
        long[] serverCpuAfter = serverCpuSplit();
        long serverJitAfter = serverCompilerCpu();
        long[] clientCpuAfter = cpuSplit(memberProcesses);
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("members", members);
        section.put("member_processes", processCount);
        section.put("probes", probes);
        section.put("warm_up_probes", WARM_UP_PROBES);
        section.put("probing_ms", probingMs);
        section.put("server_cpu_ms_per_probe",
                (double) Signals.cpuMillisBetween(serverCpuAfter, serverCpuBefore) / probes);
        section.put("server_idle_cpu_ms_per_probe", serverIdlePerMs * probingMs / probes);
        // The JIT still compiles the lone join-and-leave path while probing (issue 10's helper: C2 took
        // 7-21 % of the server's CPU in the timed window despite the warm-up): told apart, not hidden.
        section.put("server_jit_cpu_ms_per_probe", (double) (serverJitAfter - serverJitBefore) / probes);
        section.put("server_kernel_share", Signals.kernelShare(serverCpuBefore, serverCpuAfter));
        section.put("member_processes_cpu_ms_per_probe",
                (double) Signals.cpuMillisBetween(clientCpuAfter, clientCpuBefore) / probes);
        section.put("member_processes_idle_cpu_ms_per_probe", clientIdlePerMs * probingMs / probes);
        section.put("member_processes_kernel_share", Signals.kernelShare(clientCpuBefore, clientCpuAfter));
        section.put("server_profile", profile == null ? Map.of() : profile.stop());
        section.put("incomplete_probes", incomplete);
        Stats perRunStats = Stats.of(fromStamp.subList(0, Math.min(perRun, fromStamp.size())));
        section.put("runs", runTails.size());
        section.put("probes_per_run", perRun);
        section.put("run_tail_percentile", perRunStats.tailPercentile());
        section.put("from_join_stamp_run_tail_ms", Stats.runs(runTails));
        section.put("from_join_stamp_run_median_ms", Stats.runs(runMedians));
        section.put("from_join_stamp_ms", Stats.of(fromStamp).toJson());
        section.put("from_first_sign_ms", Stats.of(fromFirstSign).toJson());
        section.put("after_joiner_connected_ms", Stats.of(afterJoiner).toJson());
        section.put("first_to_last_member_ms", Stats.of(spread).toJson());
        section.put("joiner_connect_ms", Stats.of(connectTime).toJson());
        section.put("from_connect_call_ms", Stats.of(fromConnectCall).toJson());
        section.put("graceful_leave_ms", Stats.of(gracefulDrop).toJson());
        report.latency(section, fromStamp, fromFirstSign);
        harness.progress.end();
        tearDown();
    }

    /** {user, system} CPU ms of the server's processes (every node and Redis for a cluster). */
    private long[] serverCpuSplit() {
        long[] sum = new long[2];
        for (long pid : harness.server.pids()) {
            long[] split = Signals.cpuSplit(pid);
            sum[0] += split[0];
            sum[1] += split[1];
        }
        return harness.server.pids().isEmpty() ? new long[] {-1, -1} : sum;
    }

    /** CPU ms of the server processes' JIT compiler threads. */
    private long serverCompilerCpu() {
        return harness.server.pids().stream().mapToLong(Signals::compilerCpuMillis).sum();
    }

    private static long[] cpuSplit(List<LoadProcess> processes) {
        long[] sum = new long[2];
        for (LoadProcess process : processes) {
            long[] split = Signals.cpuSplit(process.pid());
            sum[0] += split[0];
            sum[1] += split[1];
        }
        return sum;
    }

    // --- 2. join storms ---------------------------------------------------------------------

    /**
     * Storms in increasing size, each {@code runs} times (median and range in the report); after a
     * run that does not converge, its size and the bigger ones are not run again.
     */
    void joinStorms(List<Integer> sizes) {
        for (int size : sizes.stream().sorted().toList()) {
            List<Map<String, Object>> done = new ArrayList<>();
            try {
                for (int run = 0; run < runs; run++) {
                    done.add(joinStorm(size));
                }
                report.storm(aggregate(size, done));
            } catch (HarnessException e) {
                Map<String, Object> failed = new LinkedHashMap<>();
                failed.put("members", size);
                failed.put("failed", e.getMessage());
                failed.put("runs_converged_before", done.size());
                failed.put("reconnects", harness.sum("reconnects_started"));
                failed.put("events_seen_by_clients", harness.sum("created") + harness.sum("dropped"));
                report.storm(failed);
                System.out.println("storm " + size + " did not converge: " + e.getMessage());
                harness.progress.end();
                tearDown();
                return;
            }
        }
    }

    /** The run with the median convergence time, plus each figure's median and range over the runs. */
    private static Map<String, Object> aggregate(int size, List<Map<String, Object>> done) {
        List<Map<String, Object>> byTime = new ArrayList<>(done);
        byTime.sort((a, b) -> Double.compare(number(a, "convergence_ms"), number(b, "convergence_ms")));
        Map<String, Object> storm = new LinkedHashMap<>(byTime.get(byTime.size() / 2));
        storm.put("members", size);
        storm.put("runs", done.size());
        for (String figure : List.of("convergence_ms", "all_connected_ms", "events_per_second", "events_per_frame",
                "server_cpu_ms", "client_cpu_ms", "reconnects")) {
            storm.put(figure + "_runs", Stats.runs(done.stream().map(run -> number(run, figure)).toList()));
        }
        return storm;
    }

    private static double number(Map<String, Object> map, String key) {
        return map.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Long enough for a slow machine, short enough to keep the suite under 10 minutes. */
    private static Duration stormTimeout(int members) {
        return Duration.ofSeconds(Math.max(30, members / 50));
    }

    private Map<String, Object> joinStorm(int members) {
        String sessionId = Clients.newSessionId("storm" + members);
        int processCount = Math.max(2, (members + 1249) / 1250);
        harness.progress.begin("storm-" + members);
        harness.progress.phase("loading", members);
        List<LoadProcess> processes = new ArrayList<>();
        List<List<long[]>> timelines = new ArrayList<>();
        for (int i = 0; i < processCount; i++) {
            LoadProcess process = harness.spawn(100, "--hold");
            List<long[]> timeline = Collections.synchronizedList(new ArrayList<>());
            process.onProgress(line -> timeline.add(new long[] {line.path("t_ns").asLong(),
                    line.path("roster_sum").asLong(), line.path("connected").asLong()}));
            processes.add(process);
            timelines.add(timeline);
        }
        List<CompletableFuture<JsonNode>> fulls = Clients.expect(processes, sessionId, members);
        Clients.add(harness, processes, sessionId, members, "s:");
        processes.forEach(process -> process.sync(LINE_TIMEOUT));
        Map<String, Double> before = harness.admin.metrics();
        long[] serverCpuBefore = serverCpuSplit();
        long[] clientCpuBefore = cpuSplit(processes);

        harness.progress.phase("joining", members);
        ServerProfile profile = ServerProfile.start(harness, "storm-" + members);
        long go = Clock.nowNs();
        processes.forEach(LoadProcess::go);
        long full = Clients.awaitFull(harness, fulls, sessionId, members, 0, stormTimeout(members));
        Map<String, Double> after = harness.admin.metrics();
        long[] serverCpuAfter = serverCpuSplit();
        long[] clientCpuAfter = cpuSplit(processes);
        long serverCpu = serverCpuAfter[0] + serverCpuAfter[1] - serverCpuBefore[0] - serverCpuBefore[1];
        long clientCpu = clientCpuAfter[0] + clientCpuAfter[1] - clientCpuBefore[0] - clientCpuBefore[1];

        double events = Clients.delta(before, after, "rollcall_events_sent_total");
        double frames = Clients.delta(before, after, "rollcall_frames_sent_total");
        double seconds = (full - go) / 1e9;
        Timeline merged = Timeline.merge(timelines, go, full, (double) members * (members - 1));
        merged.points().add(new double[] {Clock.ms(full - go), 1.0, members}); // full, by definition
        Map<String, Object> storm = new LinkedHashMap<>();
        storm.put("members", members);
        storm.put("client_processes", processCount);
        storm.put("convergence_ms", Clock.ms(full - go));
        storm.put("all_connected_ms", merged.allConnectedMs(members));
        storm.put("reconnects", harness.sum("reconnects_started")); // a storm must not feed a reconnect storm
        storm.put("events_sent", (long) events);
        storm.put("frames_sent", (long) frames);
        storm.put("events_per_second", events / seconds);
        storm.put("frames_per_event", events > 0 ? frames / events : 0);
        storm.put("events_per_frame", frames > 0 ? events / frames : 0);
        storm.put("server_cpu_ms", serverCpu);
        storm.put("client_cpu_ms", clientCpu);
        storm.put("server_kernel_share", Signals.kernelShare(serverCpuBefore, serverCpuAfter));
        storm.put("client_kernel_share", Signals.kernelShare(clientCpuBefore, clientCpuAfter));
        storm.put("server_profile", profile == null ? Map.of() : profile.stop());
        storm.put("timeline", merged.toJson());
        System.out.printf("storm %d: converged in %.0f ms, %.0f events/s, %.4f frames/event%n", members,
                Clock.ms(full - go), events / seconds, events > 0 ? frames / events : 0);
        harness.progress.end();
        tearDown();
        return storm;
    }

    // --- helpers ----------------------------------------------------------------------------

    /** Kills every client process, then waits until the server has dropped their connections. */
    void tearDown() {
        harness.killClients();
        long deadline = System.nanoTime() + BIG_TIMEOUT.toNanos();
        while (harness.admin.metrics().getOrDefault("rollcall_connections", 0.0) > 0) {
            if (System.nanoTime() > deadline) {
                System.out.println("warning: the server still holds connections after " + BIG_TIMEOUT);
                return;
            }
            Clients.sleep(200); // the server drops them after its grace period
        }
    }

    static JsonNode get(CompletableFuture<JsonNode> future, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        } catch (ExecutionException e) {
            throw new HarnessException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new HarnessException("no answer within " + timeout);
        }
    }
}
