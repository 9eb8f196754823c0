package org.rollcall.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server JVM's memory: live heap after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info})
 * and the process's resident set size.
 */
record Memory(long heapUsed, long heapCommitted, long rss) {
    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");

    static Memory measure(long pid) {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        // G1 prints one line for the whole heap; the serial and parallel collectors (a JVM pinned to
        // one core gets the serial one) print one per generation: the heap is their sum.
        Matcher m = HEAP.matcher(info);
        long used = 0;
        long total = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            total += Long.parseLong(m.group(1)) * 1024;
            used += Long.parseLong(m.group(2)) * 1024;
        }
        if (!found) {
            throw new HarnessException("cannot read the heap from jcmd GC.heap_info: " + info);
        }
        return new Memory(used, total, Signals.rssBytes(pid));
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("heap_used_bytes", heapUsed);
        json.put("heap_committed_bytes", heapCommitted);
        json.put("rss_bytes", rss);
        return json;
    }

    private static String jcmd(long pid, String command) {
        String jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        try {
            Process process = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new HarnessException("jcmd " + pid + " " + command + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new HarnessException("cannot run jcmd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }
}
