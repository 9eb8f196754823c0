package org.rollcall.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the server's CPU goes during one measurement: a Java Flight Recording started and dumped
 * with {@code jcmd}, summarized as the share of CPU samples by the innermost Rollcall method on the
 * stack and by the innermost method of all. Best effort: without a server process, it is empty.
 */
final class ServerProfile {
    private static final int TOP = 8;

    private final long pid;
    private final String name;
    private final Path file;

    private ServerProfile(long pid, String name, Path file) {
        this.pid = pid;
        this.name = name;
        this.file = file;
    }

    /** Starts a recording on the server, or returns null when that is not possible. */
    static ServerProfile start(Harness harness, String name) {
        if (harness.server.pid().isEmpty()) {
            return null;
        }
        long pid = harness.server.pid().getAsLong();
        Path file = harness.workDir.resolve(name + ".jfr").toAbsolutePath();
        return jcmd(pid, "JFR.start", "name=" + name, "settings=profile") ? new ServerProfile(pid, name, file) : null;
    }

    /** Stops the recording and summarizes it; an empty map when anything failed. */
    Map<String, Object> stop() {
        boolean dumped = jcmd(pid, "JFR.dump", "name=" + name, "filename=" + file);
        jcmd(pid, "JFR.stop", "name=" + name);
        if (!dumped) {
            return Map.of();
        }
        try {
            return summarize(RecordingFile.readAllEvents(file));
        } catch (IOException e) {
            return Map.of("error", e.getMessage());
        }
    }

    private static Map<String, Object> summarize(List<RecordedEvent> events) {
        Map<String, Integer> rollcall = new HashMap<>();
        Map<String, Integer> leaf = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : events) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
                continue;
            }
            List<RecordedFrame> frames = event.getStackTrace().getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            samples++;
            leaf.merge(method(frames.get(0)), 1, Integer::sum);
            String ours = frames.stream().map(ServerProfile::method).filter(m -> m.startsWith("org.rollcall."))
                    .findFirst().orElse("(outside Rollcall code: Netty, JDK)");
            rollcall.merge(ours, 1, Integer::sum);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("cpu_samples", samples);
        summary.put("by_rollcall_method_percent", top(rollcall, samples));
        summary.put("by_innermost_method_percent", top(leaf, samples));
        return summary;
    }

    private static String method(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static Map<String, Double> top(Map<String, Integer> counts, int total) {
        Map<String, Double> top = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(TOP)
                .forEach(e -> top.put(e.getKey(), Math.round(1000.0 * e.getValue() / total) / 10.0));
        return top;
    }

    private static boolean jcmd(long pid, String... command) {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        try {
            List<String> args = new java.util.ArrayList<>(List.of(jcmd, Long.toString(pid)));
            args.addAll(List.of(command));
            Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0 && !out.contains("Could not");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
