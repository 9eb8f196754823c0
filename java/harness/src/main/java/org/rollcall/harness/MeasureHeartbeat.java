package org.rollcall.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The price of heartbeats (docs/server.md "Choosing heartbeat settings"): what idle connections
 * cost at each heartbeat profile, the server and libotc side by side. A vanished client can only be
 * found by a ping it does not answer, so the ping interval sets both the idle CPU (a ping and a pong
 * per connection and interval, mostly kernel) and how soon a frozen client is reported.
 *
 * <p>For each profile: a server of its own with those settings, on the server's CPUs, and
 * {@code otc-transport-bench idle N} (libotc with empty callbacks, each session in a session of its
 * own) on the clients' CPUs. The server's CPU is read over the tool's own 20 s window (it starts 5 s
 * after the tool reports every session connected).
 */
final class MeasureHeartbeat {
    /** Server settings; {@code vanishedMs} is the bound for a client that vanishes without a trace. */
    record Profile(String name, long intervalMs, long timeoutMs, long graceSilentMs) {
        List<String> flags() {
            return List.of("--heartbeat-interval-ms", Long.toString(intervalMs), "--heartbeat-timeout-ms",
                    Long.toString(timeoutMs), "--grace-silent-ms", Long.toString(graceSilentMs));
        }

        long vanishedMs() {
            return timeoutMs + graceSilentMs;
        }
    }

    /**
     * The defaults, and the economy profile documented beside them: the client has the same 1.5 s
     * to answer a ping as at the defaults, and the silent grace covers one interval plus a reconnect
     * (a cut client's own silence clock may start up to one interval after the server's).
     */
    static final List<Profile> PROFILES = List.of(new Profile("default", 1000, 2500, 1500),
            new Profile("economy", 2500, 4000, 3000));
    private static final Pattern CONNECTED = Pattern.compile("idle (\\d+): (\\d+) connected in ([\\d.]+) s");
    private static final Pattern IDLE = Pattern.compile(
            "idle (\\d+): (\\d+) B resident per session; ([\\d.]+) % of one core; (\\d+) reconnections");
    private static final long SETTLE_MS = 5000;
    private static final long WINDOW_MS = 20_000;

    private final Path tool;
    private final Main.Target target;
    private final Map<String, String> serverDefaults;
    private final Placement placement;
    private final Path workDir;

    MeasureHeartbeat(Path tool, Main.Target target, Map<String, String> serverDefaults, Placement placement,
                     Path workDir) {
        this.tool = tool;
        this.target = target;
        this.serverDefaults = serverDefaults;
        this.placement = placement;
        this.workDir = workDir;
    }

    /** Each profile at each size, once (a run is about 30 to 60 s). */
    Map<String, Object> measure(List<Integer> sizes) throws IOException, InterruptedException {
        if (target.serverJar == null) {
            throw new HarnessException("the heartbeat part starts its servers: give --spawn-server JAR");
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("tool", tool.toString());
        section.put("placement", placement.describe());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Profile profile : PROFILES) {
            for (int sessions : sizes) {
                rows.add(run(profile, sessions));
            }
        }
        section.put("runs", rows);
        return section;
    }

    private Map<String, Object> run(Profile profile, int sessions) throws IOException, InterruptedException {
        String name = "heartbeat-" + profile.name() + "-" + sessions;
        List<String> args = new ArrayList<>(target.serverArgs);
        args.addAll(profile.flags());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("profile", profile.name());
        row.put("interval_ms", profile.intervalMs());
        row.put("timeout_ms", profile.timeoutMs());
        row.put("grace_silent_ms", profile.graceSilentMs());
        row.put("vanished_bound_ms", profile.vanishedMs());
        row.put("sessions", sessions);
        try (SpawnedServer server = new SpawnedServer(target.serverJar, target.serverJvmArgs,
                Main.withDefaults(args, serverDefaults), workDir, "harness", "heartbeat-" + System.nanoTime())
                .named(name).placement(placement).start()) {
            long pid = server.pid().orElseThrow();
            List<String> command = placement.clientCommand(List.of(tool.toString(), "idle", String.valueOf(sessions),
                    server.wsUrl(), server.apiKey(), server.secret(), name));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                Matcher connected = await(out, CONNECTED, lines);
                row.put("connected", Long.parseLong(connected.group(2)));
                Thread.sleep(SETTLE_MS); // the tool's own wait before its window: the windows line up
                long[] before = Signals.cpuSplit(pid);
                Thread.sleep(WINDOW_MS);
                long[] after = Signals.cpuSplit(pid);
                Matcher idle = await(out, IDLE, lines);
                row.put("server_cpu_percent", 100.0 * Signals.cpuMillisBetween(after, before) / WINDOW_MS);
                row.put("server_kernel_share", Signals.kernelShare(before, after));
                row.put("libotc_cpu_percent", Double.parseDouble(idle.group(3)));
                row.put("libotc_rss_bytes_per_session", Double.parseDouble(idle.group(2)));
                row.put("reconnections", Long.parseLong(idle.group(4)));
            } finally {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                Files.write(workDir.resolve(name + ".out"), lines, StandardCharsets.UTF_8);
            }
        }
        return row;
    }

    /** Reads the tool's output until a line matches; the tool gives up on connecting after 300 s. */
    private static Matcher await(BufferedReader out, Pattern pattern, List<String> lines) throws IOException {
        for (String line; (line = out.readLine()) != null; ) {
            lines.add(line);
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        throw new HarnessException("otc-transport-bench ended without \"" + pattern + "\": "
                + String.join(" / ", lines));
    }
}
