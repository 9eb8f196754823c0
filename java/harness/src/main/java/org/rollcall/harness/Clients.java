package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Helpers the scenarios share: adding clients, awaiting full rosters, metrics. */
final class Clients {
    private Clients() {
    }

    static String newSessionId(String prefix) {
        return prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    /**
     * Spawns the scenario's otc-load processes, joins its C and Java clients to one session and
     * waits until every one of them holds the full roster.
     */
    static List<LoadProcess> joinOneSession(Harness harness, ScenarioOptions options, String sessionId) {
        int members = options.clients() + options.javaClients();
        harness.progress.phase("joining", members);
        List<LoadProcess> processes = harness.spawnMany(harness.processesFor(options.clients(), options.processes()));
        List<CompletableFuture<JsonNode>> fulls = expect(processes, sessionId, members);
        add(harness, processes, sessionId, options.clients(), "c:");
        addJava(harness, sessionId, options.javaClients());
        awaitFull(harness, fulls, sessionId, members, options.javaClients(), joinTimeout(harness, members));
        return processes;
    }

    /** Adds {@code count} clients of the session round-robin over {@code processes}. */
    static void add(Harness harness, List<LoadProcess> processes, String sessionId, int count, String dataPrefix) {
        for (int i = 0; i < count; i++) {
            LoadProcess process = processes.get(i % processes.size());
            process.add(sessionId, harness.token(sessionId, dataPrefix + i), "");
        }
    }

    /** Adds {@code count} Java binding clients of the session; they connect at once. */
    static void addJava(Harness harness, String sessionId, int count) {
        for (int i = 0; i < count; i++) {
            harness.java().add(harness.server.wsUrl(), harness.server.apiKey(), sessionId,
                    harness.token(sessionId, "java:" + i), "java");
        }
    }

    /** Sends {@code expect} to every process; the futures complete with their {@code full} lines. */
    static List<CompletableFuture<JsonNode>> expect(List<LoadProcess> processes, String sessionId, int members) {
        List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
        for (LoadProcess process : processes) {
            futures.add(process.expect(sessionId, members));
        }
        return futures;
    }

    /**
     * Waits for every {@code full} line and for the Java clients of the session to hold
     * {@code members - 1} others; returns the latest time a client became full (ns since epoch).
     */
    static long awaitFull(Harness harness, List<CompletableFuture<JsonNode>> fulls, String sessionId, int members,
                          int javaClients, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = 0;
        for (CompletableFuture<JsonNode> full : fulls) {
            try {
                JsonNode line = full.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                last = Math.max(last, line.path("last_ns").asLong());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HarnessException("interrupted");
            } catch (ExecutionException e) {
                throw new HarnessException(e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new HarnessException("clients of " + sessionId + " did not get the full roster of " + members
                        + " within " + timeout + "; " + summary(harness));
            }
        }
        while (harness.java().full(sessionId, members - 1) < javaClients) {
            if (System.nanoTime() > deadline) {
                throw new HarnessException("Java clients of " + sessionId + " did not get the full roster within "
                        + timeout + "; " + summary(harness));
            }
            sleep(20); // Java clients keep no "full" signal; poll them briefly
        }
        return javaClients > 0 ? Math.max(last, Clock.nowNs()) : last;
    }

    static String summary(Harness harness) {
        return "connected " + harness.sum("connected") + ", connecting " + harness.sum("connecting")
                + ", failed " + harness.sum("failed") + ", ended " + harness.sum("ended")
                + ", events " + (harness.sum("created") + harness.sum("dropped")) + ", errors " + harness.sum("errors")
                + firstErrors(harness);
    }

    /** The first error lines of the processes, for messages. */
    static String firstErrors(Harness harness) {
        List<String> errors = new ArrayList<>();
        for (LoadProcess process : harness.allProcesses()) {
            process.lines(line -> LoadProcess.type(line).equals("error")).stream().limit(3)
                    .forEach(line -> errors.add(process.name() + ": " + line));
        }
        return errors.isEmpty() ? "" : "; first errors: " + errors.stream().limit(3).toList();
    }

    /** {@code after - before} of a metric, 0 when absent. */
    static double delta(Map<String, Double> before, Map<String, Double> after, String name) {
        return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
    }

    static Duration joinTimeout(Harness harness, int clients) {
        return harness.settleTimeout.plusMillis(clients * 20L);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }
}
