package org.rollcall.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server JVM's memory: live heap after a full GC (the total of {@code jcmd GC.class_histogram},
 * which collects first), the committed heap ({@code GC.heap_info}) and the process's resident set size.
 */
record Memory(long heapUsed, long heapCommitted, long rss) {
    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    static Memory measure(long pid) {
        // The histogram counts what survived its own collection and nothing allocated after it.
        // GC.run and then GC.heap_info, a second jcmd, also counted what the server allocated in
        // between: the same server measured 1884-2091 B per idle connection that way in three runs
        // at 18,000, and 1922-1924 B by its histogram in two.
        String histogram = jcmd(pid, "GC.class_histogram");
        Matcher live = HISTOGRAM_TOTAL.matcher(histogram);
        if (!live.find()) {
            throw new HarnessException("cannot read the live heap from jcmd GC.class_histogram");
        }
        String info = jcmd(pid, "GC.heap_info");
        // G1 prints one line for the whole heap; the serial and parallel collectors (a JVM pinned to
        // one core gets the serial one) print one per generation: the heap is their sum.
        Matcher m = HEAP.matcher(info);
        long total = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            total += Long.parseLong(m.group(1)) * 1024;
        }
        if (!found) {
            throw new HarnessException("cannot read the heap from jcmd GC.heap_info: " + info);
        }
        return new Memory(Long.parseLong(live.group(1)), total, Signals.rssBytes(pid));
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
