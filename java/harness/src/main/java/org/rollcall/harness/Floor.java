package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The physical floor, measured in the same run as our figures: {@code otc-floor} (native/tools)
 * writes frames of an events frame's size to as many loopback sockets as the figure has members,
 * from one writer thread (on the server's core when pinned) to one reader thread (on the clients'
 * core). A join storm of N is N(N-1)/2 event frames round-robin over N sockets, one write per frame
 * (unbatched) or 64 per write (batched); a lone event to N members is one frame to each of N
 * sockets. Every figure of ours is then a ratio to the floor. The writer's CPU per write of a lone
 * event is the floor under the server's CPU per member frame (on loopback it includes the receiving
 * socket's TCP input and the reader's wake-up, as the server's writes to local clients do).
 */
final class Floor {
    /**
     * Frames measured per storm at most; a bigger storm is projected from the measured rate (the
     * kernel's rate is steady long before this, and 12.5M unbatched writes would take minutes).
     */
    static final long MAX_FRAMES = 200_000;
    static final int FANOUT_ROUNDS = 200;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Floor() {
    }

    /**
     * The size in bytes of a WebSocket frame carrying one event (docs/protocol.md, "Events"): a
     * UUID connection ID, short data, a 13-digit creation time, a 5-digit seq.
     */
    static int eventFrameBytes() {
        String payload = "{\"type\":\"events\",\"events\":[{\"seq\":12345,\"type\":\"connectionCreated\","
                + "\"connection\":{\"id\":\"dc929998-3f70-4e24-87d2-24533efa5d35\",\"data\":\"s:1234\","
                + "\"creationTime\":1764445200456}}]}";
        int length = payload.getBytes(StandardCharsets.UTF_8).length;
        return length + (length <= 125 ? 2 : 4); // server frames are unmasked: 2 or 4 header bytes
    }

    /** Storm floors for each size and fanout floors for each member count, {@code runs} times each. */
    static Map<String, Object> measure(Path binary, Placement placement, int runs, List<Integer> stormSizes,
                                       List<Integer> fanoutSizes) {
        int frameBytes = eventFrameBytes();
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("binary", binary.toString());
        section.put("frame_bytes", frameBytes);
        section.put("placement", placement.describe());
        section.put("runs", runs);
        Map<String, Object> storms = new LinkedHashMap<>();
        for (int n : stormSizes) {
            long total = (long) n * (n - 1) / 2;
            long measured = Math.min(total, MAX_FRAMES);
            Map<String, Object> storm = new LinkedHashMap<>();
            storm.put("frames", total);
            storm.put("frames_measured", measured);
            for (String mode : List.of("unbatched", "batched")) {
                List<Double> projectedMs = new ArrayList<>();
                for (int run = 0; run < runs; run++) {
                    JsonNode line = run(binary, placement, n, frameBytes, "--frames", Long.toString(measured),
                            "--rounds", "0", "--modes", mode).get(0);
                    projectedMs.add(total / line.path("frames_per_second").asDouble() * 1000);
                }
                storm.put(mode + "_ms", Stats.runs(projectedMs));
            }
            storms.put(Integer.toString(n), storm);
            System.out.printf("floor storm %d: unbatched %s, batched %s%n", n,
                    Format.medianRange(map(storm, "unbatched_ms")), Format.medianRange(map(storm, "batched_ms")));
        }
        section.put("storm", storms);
        Map<String, Object> fanouts = new LinkedHashMap<>();
        for (int n : fanoutSizes) {
            List<Double> p50 = new ArrayList<>();
            List<Double> p95 = new ArrayList<>();
            List<Double> cpuUs = new ArrayList<>();
            List<Double> kernel = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                JsonNode line = run(binary, placement, n, frameBytes, "--frames", "0",
                        "--rounds", Integer.toString(FANOUT_ROUNDS)).get(0);
                p50.add(line.path("p50_ns").asDouble() / 1e6);
                p95.add(line.path("p95_ns").asDouble() / 1e6);
                if (line.has("writer_cpu_ns_per_write")) { // an otc-floor older than this field lacks it
                    cpuUs.add(line.path("writer_cpu_ns_per_write").asDouble() / 1000);
                    kernel.add(line.path("writer_kernel_share").asDouble());
                }
            }
            Map<String, Object> fanout = new LinkedHashMap<>();
            fanout.put("rounds_per_run", FANOUT_ROUNDS);
            fanout.put("p50_ms", Stats.runs(p50));
            fanout.put("p95_ms", Stats.runs(p95));
            if (!cpuUs.isEmpty()) {
                // The writer's CPU per write: the floor under the server's CPU per member frame.
                fanout.put("writer_cpu_us_per_write", Stats.runs(cpuUs));
                fanout.put("writer_kernel_share", Stats.runs(kernel));
            }
            fanouts.put(Integer.toString(n), fanout);
            System.out.printf("floor fan-out to %d: p50 %s%n", n, Format.medianRange(map(fanout, "p50_ms")));
        }
        section.put("fanout", fanouts);
        return section;
    }

    private static List<JsonNode> run(Path binary, Placement placement, int sockets, int frameBytes,
                                      String... more) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--sockets", Integer.toString(sockets),
                "--frame-bytes", Integer.toString(frameBytes)));
        command.addAll(List.of(more));
        if (placement.isPinned()) {
            command.addAll(List.of("--writer-cpu", firstCpu(placement.serverCpus()),
                    "--reader-cpu", firstCpu(placement.clientCpus())));
        }
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new HarnessException("otc-floor failed: " + String.join(" ", command) + ": " + out.strip());
            }
            List<JsonNode> lines = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (line.startsWith("{")) {
                    lines.add(JSON.readTree(line));
                }
            }
            if (lines.isEmpty()) {
                throw new HarnessException("otc-floor printed no figure: " + out.strip());
            }
            return lines;
        } catch (IOException e) {
            throw new HarnessException("cannot run otc-floor: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }

    private static String firstCpu(String cpus) {
        return cpus.split("[-,]")[0];
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> from, String key) {
        return from.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
