package org.rollcall.harness;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rollcall-harness bench}: the standard benchmark suite (issue 7), sized for a 2-core
 * machine with the load generator on it. Writes {@code <out>/<date>.md}, {@code .json} and
 * {@code .png}. It reports; a figure far from its target is said so, never an error exit.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Runs the benchmark suite and writes a report (markdown, JSON, PNG chart).")
final class Bench implements Callable<Integer> {
    @Mixin
    Main.Target target;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "bench/results", description = "Directory for the report.")
    Path out;

    @Option(names = "--name", description = "Report file name without extension (default: the date and time).")
    String name;

    @Option(names = "--only", split = ",", paramLabel = "PART",
            description = "Run only these parts: capacity, latency, storm, departure, floor, peers, callback, libotc, "
                    + "heartbeat, scale-out.")
    List<String> only = new ArrayList<>();

    @Option(names = "--quick", description = "Small sizes, to try the suite out in a few minutes.")
    boolean quick;

    @Option(names = "--runs", defaultValue = "5",
            description = "Runs of each figure; the report gives the median and the range (min–max).")
    int runs;

    @Option(names = "--shared-cores",
            description = "After the pinned parts, run latency, storm and departure again with server and clients "
                    + "on shared cores: the summary's second column.")
    boolean sharedCores;

    @Option(names = "--no-peers", description = "Skip the peers (Mosquitto, Socket.IO).")
    boolean noPeers;

    @Option(names = "--peer-runs", defaultValue = "3", description = "Runs of each peer storm; victims per departure.")
    int peerRuns;

    @Option(names = "--peer-storm", split = ",", description = "Peer join storm sizes (default: ours up to 2000).")
    List<Integer> peerStorms;

    @Option(names = "--peer-probes", defaultValue = "200", description = "Lone joins per peer and size.")
    int peerProbes;

    @Option(names = "--members", defaultValue = "1000", description = "Session size for lone-event latency.")
    int members;

    @Option(names = "--probes", defaultValue = "1000",
            description = "Lone events measured, over all runs (a p99 needs 1000; with fewer the report gives p95).")
    int probes;

    @Option(names = "--storm", split = ",", defaultValue = "1000,2000,5000", description = "Join storm sizes.")
    List<Integer> storms;

    @Option(names = "--capacity", split = ",", defaultValue = "5000,18000", description = "Idle connection counts.")
    List<Integer> capacity;

    @Option(names = "--capacity-hold-s", defaultValue = "0", paramLabel = "SECONDS",
            description = "After the largest capacity step, hold its clients idle this long and report drops, "
                    + "reconnects and server CPU over the hold (issue 10's target: 600 at 18000); 0 for none.")
    long capacityHoldSeconds;

    @Option(names = "--capacity-session", defaultValue = "20", description = "Members per session in the capacity run.")
    int capacitySession;

    @Option(names = "--warm-up", defaultValue = "3",
            description = "Throwaway join storms before measuring, so the server's JIT is warm; 0 for none.")
    int warmUp;

    @Option(names = "--per-process", defaultValue = "1500",
            description = "Clients per otc-load process in the capacity run (at most 5000: 20000 open files).")
    int perProcess;

    @Option(names = "--scale-out-nodes", defaultValue = "3",
            description = "Nodes over Redis in the scale-out part (its storm of 2000 and lone events beside one node's); 0 skips it.")
    int scaleOutNodes;

    @Option(names = "--callback-class", defaultValue = "org.rollcall.bench.CallbackCost",
            description = "Main class that measures the cost of a callback into Java (from java/binding).")
    String callbackClass;

    /** Observers of a departure (Measure.departure): the floor's second fan-out size. */
    private static final int DEPARTURE_OBSERVERS = 20;

    private Harness harness;

    @Override
    public Integer call() throws Exception {
        if (quick) {
            members = 100;
            probes = 100;
            peerProbes = 50;
            storms = List.of(200, 400);
            capacity = List.of(500, 1000);
        }
        if (target.nodes > 1) {
            throw new HarnessException("the bench measures one node; its scale-out part starts the nodes (--scale-out-nodes)");
        }
        if (target.serverJvmArgs.isEmpty()) {
            target.serverJvmArgs.add("-Xmx2g");
        }
        Path workDir = target.workDir();
        System.out.println("Logs in " + workDir);
        String started = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm"));
        Report report = new Report(started);
        Placement pinned = Placement.pinned();
        target.placement = pinned;
        Map<String, Object> conditions = Conditions.collect(target, benchServerDefaults());
        conditions.put("placement", pinned.describe() + (sharedCores ? "; then again on shared cores (second column)"
                : ""));
        conditions.put("admission", "overload shedding off and no per-address socket cap (flags above): every "
                + "client comes from 127.0.0.1 and the bench measures delivery, not admission");
        conditions.put("runs", runs + " runs of each figure (median, then min–max); capacity runs once");
        conditions.put("warm_up", warmUp > 0 ? warmUp + " throwaway join storms of " + (quick ? 100 : 400)
                + " before measuring (the server's JIT)" : "none");
        report.conditions(conditions);
        report.provenance(Provenance.collect(artifacts(), "java -jar rollcall-harness.jar "
                + String.join(" ", spec.commandLine().getParseResult().originalArgs())));
        try (ServerTarget server = target.server(workDir, benchServerDefaults());
             Harness harness = target.harness(server, workDir, System.out)) {
            harness.placement(pinned);
            Measure measure = new Measure(harness, report, runs);
            this.harness = harness;
            if (warmUp > 0) {
                part(report, "warm-up", () -> measure.warmUp(warmUp, quick ? 100 : 400));
            }
            part(report, "capacity", () -> measure.capacity(capacity, capacitySession, perProcess, capacityHoldSeconds));
            part(report, "latency", () -> measure.loneLatency(members, probes));
            part(report, "storm", () -> measure.joinStorms(storms));
            MeasureDepartures departures = new MeasureDepartures(measure, harness, report, runs);
            part(report, "departure", departures::departure);
            part(report, "floor", () -> report.floor(Floor.measure(floorBinary(), pinned, runs, storms,
                    List.of(members, DEPARTURE_OBSERVERS))));
            if (!noPeers) {
                part(report, "peers", () -> report.peers(Peers.measure(
                        floorBinary().resolveSibling("mqtt-load"), Path.of("bench/peers/socketio").toAbsolutePath(),
                        pinned, workDir, peerPlan())));
            }
            part(report, "callback", () -> departures.callbackCost(callbackClass));
            part(report, "libotc", () -> report.libotc(new MeasureLibotc(floorBinary().resolveSibling(
                    "otc-transport-bench"), server, pinned, workDir).measure(runs, quick)));
            part(report, "heartbeat", () -> report.heartbeat(new MeasureHeartbeat(floorBinary().resolveSibling(
                    "otc-transport-bench"), target, benchServerDefaults(), pinned, workDir)
                    .measure(quick ? List.of(500, 1000) : List.of(ReportHeartbeat.LIBOTC_SESSIONS,
                            ReportHeartbeat.SERVER_CONNECTIONS))));
            if (scaleOutNodes > 1) {
                part(report, "scale-out", () -> report.scaleOut(new MeasureScaleOut(harness, target,
                        benchServerDefaults(), pinned, runs).measure(scaleOutNodes, quick ? 400 : Report.STORM_TARGET_MEMBERS,
                        members, probes, warmUp, quick ? 100 : 400)));
            }
            if (sharedCores) {
                Report shared = new Report(started);
                Measure again = new Measure(harness, shared, runs);
                harness.placement(Placement.SHARED);
                part(shared, "latency", () -> again.loneLatency(members, probes));
                part(shared, "storm", () -> again.joinStorms(storms));
                part(shared, "departure", new MeasureDepartures(again, harness, shared, runs)::departure);
                part(shared, "floor", () -> shared.floor(Floor.measure(floorBinary(), Placement.SHARED, runs, storms,
                        List.of(members, DEPARTURE_OBSERVERS))));
                report.sharedCores(shared);
            }
            report.server(server);
        }
        conditions.put("load_average_at_end", Conditions.loadAverage());
        String file = name != null ? name : started.replace(':', '-');
        List<Path> written = report.write(out, file);
        written.forEach(path -> System.out.println("Wrote " + path));
        return Main.PASSED;
    }

    /**
     * The peers' plan: our storm sizes up to 2000 (a 5000 storm of a peer takes minutes per run),
     * {@code --peer-runs} runs; lone joins at 500 and at our lone-latency size; SIGSTOP departures
     * (a minute or more each at the peers' defaults) except with --quick.
     */
    private Peers.Plan peerPlan() {
        List<Integer> sizes = peerStorms != null ? peerStorms : storms.stream().filter(n -> n <= 2000).toList();
        java.util.TreeSet<Integer> lone = new java.util.TreeSet<>(List.of(members));
        if (members >= 500) {
            lone.add(500);
        }
        return new Peers.Plan(peerRuns, sizes, List.copyOf(lone), peerProbes, DEPARTURE_OBSERVERS, !quick);
    }

    /** otc-floor, installed next to otc-load. */
    private Path floorBinary() {
        Path load = target.otcLoad != null ? target.otcLoad : Tools.find("otc-load");
        return load.toAbsolutePath().resolveSibling("otc-floor");
    }

    /** Every jar and binary this run executes, for the report's hashes. */
    private Map<String, Path> artifacts() {
        Map<String, Path> artifacts = new LinkedHashMap<>();
        artifacts.put("server jar", target.serverJar);
        artifacts.put("harness jar", Provenance.harnessJar());
        Path load = target.otcLoad != null ? target.otcLoad : Tools.find("otc-load");
        artifacts.put("otc-load", load);
        Path lib = load.toAbsolutePath().getParent().resolveSibling("lib").resolve("libotc.so.0");
        artifacts.put("libotc", java.nio.file.Files.exists(lib) ? lib : null);
        artifacts.put("otc-floor", floorBinary());
        artifacts.put("otc-transport-bench", floorBinary().resolveSibling("otc-transport-bench"));
        artifacts.put("mqtt-load", noPeers ? null : floorBinary().resolveSibling("mqtt-load"));
        artifacts.put("mosquitto", noPeers ? null : Path.of("/usr/sbin/mosquitto"));
        artifacts.put("socket.io peer server", noPeers ? null : Path.of("bench/peers/socketio/server.js"));
        artifacts.put("socket.io peer load", noPeers ? null : Path.of("bench/peers/socketio/load.js"));
        return artifacts;
    }

    /** A part that fails is reported as failed; the others still run. */
    private void part(Report report, String part, ThrowingRunnable run) {
        if (!only.isEmpty() && !only.contains(part) && !part.equals("warm-up")) {
            return;
        }
        System.out.println("== " + part);
        try {
            run.run();
        } catch (Exception | AssertionError e) {
            System.out.println("!! " + part + " failed: " + e);
            report.failure(part, e);
            harness.killClients(); // the next part starts clean
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * The bench's server: default heartbeat and grace (departure is measured at the defaults),
     * no connect-rate limit (every client comes from 127.0.0.1), a bounded heap.
     */
    static Map<String, String> benchServerDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>(Main.scenarioServerDefaults());
        defaults.put("--max-connections-per-session", "20000");
        return defaults;
    }
}
