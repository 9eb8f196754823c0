package org.rollcall.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rollcall-harness}: runs scenarios ({@code run}) and the benchmark suite ({@code bench}). */
@Command(name = "rollcall-harness", mixinStandardHelpOptions = true, version = "rollcall-harness 0.1.0",
        description = "Scenario runner, load generator and benchmarks for Rollcall (docs/harness.md).",
        subcommands = {Main.Run.class, Main.ListScenarios.class, Bench.class})
public final class Main implements Runnable {
    /** Exit codes. */
    static final int PASSED = 0;
    static final int VIOLATIONS = 1;
    static final int FAILED = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOverwrittenOptionsAllowed(true); // scripts/bench's defaults, then the user's
        commandLine.setExecutionExceptionHandler((e, command, parseResult) -> {
            command.getErr().println("rollcall-harness: " + e.getMessage());
            return FAILED;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Where the server is and where the client binaries are; shared by {@code run} and {@code bench}. */
    static final class Target {
        @Option(names = "--url", description = "URL of a running server, e.g. http://127.0.0.1:8080.")
        String url;

        @Option(names = "--api-key", description = "The app's API key (with --url).")
        String apiKey;

        @Option(names = "--secret", defaultValue = "${env:ROLLCALL_SECRET}",
                description = "The app's secret (with --url); default: environment variable ROLLCALL_SECRET.")
        String secret;

        @Option(names = "--admin-secret", defaultValue = "${env:ROLLCALL_ADMIN_SECRET}",
                description = "The app's admin secret (with --url), when the server keeps it apart from --secret; "
                        + "default: environment variable ROLLCALL_ADMIN_SECRET, else --secret.")
        String adminSecret;

        @Option(names = "--spawn-server", paramLabel = "JAR",
                description = "Start this server jar (rollcall-server.jar) on a free port instead of --url.")
        Path serverJar;

        @Option(names = "--server-arg", paramLabel = "ARG",
                description = "One more argument for `serve` of --spawn-server (repeatable).")
        List<String> serverArgs = new ArrayList<>();

        @Option(names = "--server-jvm-arg", paramLabel = "ARG",
                description = "One more JVM argument for --spawn-server (repeatable), e.g. -Xmx1g.")
        List<String> serverJvmArgs = new ArrayList<>();

        @Option(names = "--otc-load", paramLabel = "PATH", description = "The otc-load binary (default: found in the build).")
        Path otcLoad;

        @Option(names = "--otc-watch", paramLabel = "PATH", description = "The otc-watch binary (default: next to otc-load).")
        Path otcWatch;

        @Option(names = "--work-dir", paramLabel = "DIR", description = "Logs of the processes (default: a temporary directory).")
        Path workDir;

        @Option(names = "--settle-timeout", defaultValue = "30", paramLabel = "SECONDS",
                description = "How long a scenario may take to settle before what differs is a violation.")
        int settleSeconds;

        @Option(names = "--progress-interval", defaultValue = "2", paramLabel = "SECONDS",
                description = "Seconds between progress lines; 0 for none.")
        int progressSeconds;

        @Option(names = "--nodes", defaultValue = "1",
                description = "With --spawn-server: start a redis-server (free port, no persistence) and this many "
                        + "server nodes with --redis; clients are spread over the nodes (docs/harness.md).")
        int nodes;

        /** Where a spawned server runs from its start on; the bench pins it, scenarios share. */
        Placement placement = Placement.SHARED;

        Path workDir() throws IOException {
            return workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("rollcall-harness-");
        }

        ServerTarget server(Path workDir, Map<String, String> serverDefaults) {
            if ((url == null) == (serverJar == null)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "give either --url or --spawn-server");
            }
            if (url != null) {
                if (nodes > 1) {
                    throw new HarnessException("--nodes needs --spawn-server (the harness starts the nodes and Redis)");
                }
                if (apiKey == null || secret == null) {
                    throw new HarnessException("--url needs --api-key and --secret (or ROLLCALL_SECRET)");
                }
                return new ExternalServer(url, apiKey, secret, adminSecret);
            }
            String key = apiKey != null ? apiKey : "harness";
            String appSecret = secret != null ? secret : UUID.randomUUID().toString();
            if (nodes > 1) {
                return new SpawnedCluster(nodes, serverJar, serverJvmArgs, withDefaults(serverArgs, serverDefaults),
                        workDir, key, appSecret, placement);
            }
            return new SpawnedServer(serverJar, serverJvmArgs, withDefaults(serverArgs, serverDefaults), workDir,
                    key, appSecret).placement(placement).start();
        }

        Harness harness(ServerTarget server, Path workDir, PrintStream out) {
            Path load = otcLoad != null ? otcLoad : Tools.find("otc-load");
            Path watch = otcWatch != null ? otcWatch : load.resolveSibling("otc-watch");
            return new Harness(server, load, watch, workDir, Duration.ofSeconds(settleSeconds), out,
                    Duration.ofSeconds(progressSeconds));
        }
    }

    /** The server flags given, plus each default whose flag was not given. */
    static List<String> withDefaults(List<String> given, Map<String, String> defaults) {
        List<String> args = new ArrayList<>(given);
        defaults.forEach((flag, value) -> {
            if (given.stream().noneMatch(arg -> arg.equals(flag) || arg.startsWith(flag + "="))) {
                args.add(flag);
                args.add(value);
            }
        });
        return args;
    }

    /**
     * Flags for a spawned server: one address opens every connection here, so no connect-rate limit
     * and no cap of sockets per address; and no overload shedding (new connections refused with 1023
     * while the event loop lags): on a shared 2-core machine a JIT pause or another build trips it,
     * and the scenarios check what clients see, not admission.
     */
    static Map<String, String> scenarioServerDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("--connect-rate", "1000000");
        defaults.put("--connect-burst", "1000000");
        defaults.put("--max-sockets-per-address", "1000000");
        defaults.put("--overload-lag-ms", "600000");
        return defaults;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Runs named scenarios and checks the invariants; exit 1 on violations, 2 on errors.")
    static final class Run implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(arity = "1..*", paramLabel = "SCENARIO",
                description = "join-storm, churn, kill-storm, server-restart, large-idle, or all; or chaos.")
        List<String> scenarios;

        @Option(names = "--clients", defaultValue = "200", description = "C clients (otc-load).")
        int clients;

        @Option(names = "--processes", defaultValue = "2", description = "otc-load processes at least (5000 clients each at most).")
        int processes;

        @Option(names = "--java-clients", defaultValue = "4", description = "Clients through the Java binding.")
        int javaClients;

        @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS", description = "Churn and idle time.")
        int durationSeconds;

        @Option(names = "--rate", defaultValue = "0",
                description = "Churn: joins (and leaves) per second; large-idle: connects per second; 0: scenario default.")
        double rate;

        @Option(names = "--watchers", defaultValue = "2", description = "otc-watch processes: in kill-storm (half are killed) and chaos (observers checked each round).")
        int watchers;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON here.")
        Path json;

        @Option(names = "--per-process", defaultValue = "5000",
                description = "Clients per otc-load process at most (5000 at most: 20000 open files per process).")
        int perProcess;

        @Option(names = "--seed", defaultValue = "1", description = "Chaos: the seed of every round's plan.")
        long seed;

        @Option(names = "--rounds", defaultValue = "20", description = "Chaos: rounds of disturbances.")
        int rounds;

        @Option(names = "--js-clients", defaultValue = "4",
                description = "Chaos: browser clients on Node (js/packages/load/chaos-clients.mjs; 0 for none).")
        int jsClients;

        @Option(names = "--max-minutes", defaultValue = "0",
                description = "Chaos: start no round after this many minutes (0: no limit); the report says how many ran.")
        long maxMinutes;

        @Option(names = "--freeze-in-grace",
                description = "Chaos: also SIGSTOP past the heartbeat timeout within timeout plus grace (diverged before the server revived silent sockets).")
        boolean freezeInGrace;

        @Option(names = "--report", paramLabel = "DIR",
                description = "Chaos: also write <date>-chaos-seed<S>.md and .json here, with provenance.")
        Path report;

        @Override
        public Integer call() throws Exception {
            List<Scenario> chosen = scenarios.contains("all") ? Scenario.all()
                    : scenarios.stream().map(name -> name.equals("chaos") ? new Chaos(seed, rounds, jsClients).freezeInGrace(freezeInGrace)
                            .budget(Duration.ofMinutes(maxMinutes))
                            : Scenario.named(name)).toList();
            // At least one client process per node, so every node serves clients (SpawnedCluster).
            ScenarioOptions options = new ScenarioOptions(clients, Math.max(processes, target.nodes), javaClients,
                    Duration.ofSeconds(durationSeconds), rate, watchers);
            Path workDir = target.workDir();
            System.out.println("Logs in " + workDir);
            List<ScenarioResult> results = new ArrayList<>();
            try (ServerTarget server = target.server(workDir, scenarioServerDefaults());
                 Harness harness = target.harness(server, workDir, System.out)) {
                harness.clientsPerProcess(perProcess);
                // The tree as it was when the run began: commits made during a long run are not its.
                Map<String, Object> provenance = report == null ? null : chaosProvenance(harness);
                for (Scenario scenario : chosen) {
                    ScenarioResult result = scenario.run(harness, options);
                    results.add(result);
                    print(result, System.out);
                    if (report != null && scenario instanceof Chaos) {
                        writeChaosReport(result, provenance);
                    }
                }
            }
            if (json != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(),
                        results.stream().map(ScenarioResult::toJson).toList());
            }
            return results.stream().allMatch(ScenarioResult::passed) ? PASSED : VIOLATIONS;
        }

        private Map<String, Object> chaosProvenance(Harness harness) {
            Map<String, Path> artifacts = new LinkedHashMap<>();
            artifacts.put("server jar", target.serverJar);
            artifacts.put("harness jar", Provenance.harnessJar());
            artifacts.put("otc-load", harness.otcLoad);
            artifacts.put("chaos-clients.mjs", jsClients > 0 ? Tools.jsClients() : null);
            return Provenance.collect(artifacts, "rollcall-harness run chaos --seed " + seed + " --rounds " + rounds);
        }

        private void writeChaosReport(ScenarioResult result, Map<String, Object> provenance) throws IOException {
            Map<String, Object> sizes = new LinkedHashMap<>();
            sizes.put("c_clients", clients);
            sizes.put("c_processes", processes);
            sizes.put("js_clients", jsClients);
            sizes.put("java_clients", javaClients);
            Path written = ChaosReport.write(report, result, provenance, sizes);
            System.out.println("Report: " + written);
        }
    }

    static void print(ScenarioResult result, PrintStream out) {
        out.printf("%s %s in %.1f s %s%n", result.passed() ? "PASS" : "FAIL", result.scenario(),
                result.elapsedMs() / 1000.0, result.figures());
        result.violations().stream().limit(50).forEach(v -> out.println("  violation: " + v));
        if (result.violations().size() > 50) {
            out.println("  ... and " + (result.violations().size() - 50) + " more violations");
        }
    }

    @Command(name = "list", description = "Lists the scenarios.")
    static final class ListScenarios implements Runnable {
        @Override
        public void run() {
            Scenario.all().forEach(s -> System.out.printf("%-15s %s%n", s.name(), s.description()));
            Scenario chaos = new Chaos(1, 1, 0);
            System.out.printf("%-15s %s%n", chaos.name(), chaos.description());
        }
    }
}
