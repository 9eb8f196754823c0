package org.rollcall.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The conditions a benchmark ran under: machine, OS, JVM, load, server flags. */
final class Conditions {
    private Conditions() {
    }

    static Map<String, Object> collect(Main.Target target, Map<String, String> serverDefaults) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cpu", cpuModel());
        c.put("cores", Runtime.getRuntime().availableProcessors());
        c.put("memory", memTotal());
        c.put("kernel", read("/proc/sys/kernel/osrelease") + " (" + read("/proc/sys/kernel/version") + ")");
        c.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        c.put("load_average_at_start", read("/proc/loadavg"));
        c.put("open_files_limit", openFilesLimit());
        c.put("server", target.serverJar != null
                ? "spawned: java " + String.join(" ", target.serverJvmArgs) + " -jar " + target.serverJar.getFileName()
                + " serve " + String.join(" ", Main.withDefaults(target.serverArgs, serverDefaults))
                : "external: " + target.url);
        c.put("server_settings", "heartbeat 1000/2500 ms, grace 500 ms (closed) / 1500 ms (silent): "
                + "the defaults unless the flags above say otherwise");
        c.put("load_generator", "otc-load (libotc, one event loop per process) on the same machine, "
                + "at most 5000 clients per process, all from 127.0.0.1");
        return c;
    }

    static String loadAverage() {
        return read("/proc/loadavg");
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "unknown";
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return "unknown";
    }

    private static String openFilesLimit() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return "soft " + fields[0] + ", hard " + fields[1] + " per process";
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "unknown";
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
