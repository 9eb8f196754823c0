package org.rollcall.harness;

import java.io.IOException;
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
 * libotc's own cost (issue 11's targets), measured by {@code otc-transport-bench}
 * (native/tools/otc_transport_bench.c: libotc with empty callbacks, its own tokens) against the
 * bench's server, pinned to the clients' core: CPU per delivered event in a join storm of 2000,
 * and for N idle sessions (each in a session of its own) the CPU over 20 s and the resident memory
 * per session. The storm and 5000 idle runs repeat; the 18,000 run (about a minute) runs once, as
 * the server's capacity step does. The binding's callback cost is the bench's callback part.
 */
final class MeasureLibotc {
    static final int STORM_MEMBERS = 2000;
    static final int IDLE_SESSIONS = 5000;
    static final int HELD_SESSIONS = 18_000;
    private static final Pattern STORM = Pattern.compile(
            "storm (\\d+): (\\d+) events in ([\\d.]+) s, CPU ([\\d.]+) s: ([\\d.]+) us per event; (\\d+) reconnections");
    private static final Pattern CONNECTED = Pattern.compile("idle (\\d+): (\\d+) connected in ([\\d.]+) s");
    private static final Pattern IDLE = Pattern.compile(
            "idle (\\d+): (\\d+) B resident per session; ([\\d.]+) % of one core; (\\d+) reconnections");

    private final Path binary;
    private final ServerTarget server;
    private final Placement placement;
    private final Path workDir;
    private int run;

    MeasureLibotc(Path binary, ServerTarget server, Placement placement, Path workDir) {
        this.binary = binary;
        this.server = server;
        this.placement = placement;
        this.workDir = workDir;
    }

    /** @param quick smaller sizes (400 storm, 500 and 1000 idle), to try the part out */
    Map<String, Object> measure(int runs, boolean quick) throws IOException, InterruptedException {
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("binary", binary.toString());
        section.put("placement", placement.describe() + " (otc-transport-bench on the clients' CPUs)");
        int stormMembers = quick ? 400 : STORM_MEMBERS;
        List<Double> usPerEvent = new ArrayList<>();
        List<Double> stormReconnects = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int incomplete = 0;
        for (int i = 0; i < runs; i++) {
            Matcher m = runTool(STORM, lines, "storm", stormMembers);
            usPerEvent.add(Double.parseDouble(m.group(5)));
            stormReconnects.add(Double.parseDouble(m.group(6)));
            if (Long.parseLong(m.group(2)) < (long) stormMembers * (stormMembers - 1)) {
                incomplete++; // the tool stopped waiting (300 s) before every roster was full
            }
        }
        section.put("storm_incomplete_runs", incomplete);
        section.put("storm_members", stormMembers);
        section.put("storm_us_per_event_runs", Stats.runs(usPerEvent));
        section.put("storm_reconnects_runs", Stats.runs(stormReconnects));
        int idleSessions = quick ? 500 : IDLE_SESSIONS;
        List<Double> idleCpu = new ArrayList<>();
        List<Double> idleRss = new ArrayList<>();
        List<Double> idleReconnects = new ArrayList<>();
        for (int i = 0; i < Math.min(runs, 3); i++) { // 30 s each
            Matcher m = runTool(IDLE, lines, "idle", idleSessions);
            idleRss.add(Double.parseDouble(m.group(2)));
            idleCpu.add(Double.parseDouble(m.group(3)));
            idleReconnects.add(Double.parseDouble(m.group(4)));
        }
        section.put("idle_sessions", idleSessions);
        section.put("idle_cpu_percent_runs", Stats.runs(idleCpu));
        section.put("idle_rss_bytes_per_session_runs", Stats.runs(idleRss));
        section.put("idle_reconnects_runs", Stats.runs(idleReconnects)); // a reconnect's CPU counts too
        int heldSessions = quick ? 1000 : HELD_SESSIONS;
        Matcher held = runTool(IDLE, lines, "idle", heldSessions);
        Matcher connected = CONNECTED.matcher(String.join("\n", lines.subList(lines.size() - 2, lines.size())));
        Map<String, Object> hold = new LinkedHashMap<>();
        hold.put("sessions", heldSessions);
        hold.put("connected", connected.find() ? Long.parseLong(connected.group(2)) : -1);
        hold.put("rss_bytes_per_session", Double.parseDouble(held.group(2)));
        hold.put("cpu_percent", Double.parseDouble(held.group(3)));
        hold.put("reconnections", Long.parseLong(held.group(4)));
        section.put("held", hold);
        section.put("output", lines);
        return section;
    }

    /** One run of the tool; its last line matching {@code result}, which it must print. */
    private Matcher runTool(Pattern result, List<String> lines, String mode, int n)
            throws IOException, InterruptedException {
        String name = "libotc-" + mode + "-" + (++run) + "-" + Long.toString(System.nanoTime(), 36);
        Path output = workDir.resolve(name + ".out");
        List<String> command = placement.clientCommand(List.of(binary.toString(), mode, String.valueOf(n),
                server.wsUrl(), server.apiKey(), server.secret(), name));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(6, TimeUnit.MINUTES)) { // the tool gives up waiting after 300 s
            process.destroyForcibly();
            throw new HarnessException(mode + " " + n + ": otc-transport-bench did not finish within 6 minutes");
        }
        List<String> out = Files.readAllLines(output, StandardCharsets.UTF_8);
        lines.addAll(out.stream().filter(line -> line.startsWith(mode + " ")).toList());
        for (int i = out.size() - 1; i >= 0; i--) {
            Matcher m = result.matcher(out.get(i));
            if (m.find()) {
                return m;
            }
        }
        throw new HarnessException(mode + " " + n + ": no result from otc-transport-bench (exit "
                + process.exitValue() + "): " + String.join(" / ", out));
    }
}
