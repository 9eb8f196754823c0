package org.rollcall.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Signals and /proc figures of other processes; Linux only. */
final class Signals {
    private Signals() {
    }

    /** {@code kill -SIGNAL pid}; Java's Process API knows only TERM and KILL. */
    static void send(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new HarnessException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new HarnessException("cannot run kill: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }

    /** Resident set size in bytes (VmRSS of /proc/PID/status), or -1. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return -1;
    }

    /** User plus system CPU time in milliseconds (/proc/PID/stat), or -1. */
    static long cpuMillis(long pid) {
        long[] split = cpuSplit(pid);
        return split[0] < 0 ? -1 : split[0] + split[1];
    }

    /** CPU milliseconds between two {user, system} readings of {@link #cpuSplit}. */
    static long cpuMillisBetween(long[] after, long[] before) {
        return after[0] + after[1] - before[0] - before[1];
    }

    /** The kernel's share of the CPU time between two {user, system} readings of {@link #cpuSplit}. */
    static double kernelShare(long[] before, long[] after) {
        double user = after[0] - before[0];
        double system = after[1] - before[1];
        return user + system > 0 ? system / (user + system) : Double.NaN;
    }

    /**
     * User plus system CPU milliseconds of the JVM's JIT compiler threads ("C1/C2 CompilerThread",
     * /proc/PID/task/TID/stat), or 0: compiling is a warm-up cost, told apart from the work measured.
     */
    static long compilerCpuMillis(long pid) {
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                        long[] split = statCpuSplit(stat);
                        sum += split[0] + split[1];
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            // gone
        }
        return sum;
    }

    /** {user, system} CPU time in milliseconds (/proc/PID/stat), or {-1, -1}. */
    static long[] cpuSplit(long pid) {
        try {
            return statCpuSplit(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** {user, system} CPU milliseconds from the text of a process's or thread's stat file. */
    private static long[] statCpuSplit(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime and stime, in USER_HZ ticks (100 per second on Linux)
        return new long[] {Long.parseLong(fields[11]) * 10, Long.parseLong(fields[12]) * 10};
    }
}
