package org.rollcall.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/**
 * What a scenario runs with: the server, tokens, the load generator's binaries, the client
 * processes it started (so they can be counted, checked and stopped), and the progress output.
 */
final class Harness implements AutoCloseable {
    /** Clients per otc-load process at most: the open-files cap is 20000 per process. */
    static final int MAX_CLIENTS_PER_PROCESS = 5000;

    final ServerTarget server;
    final Admin admin;
    final Path otcLoad;
    final Path otcWatch;
    final Path workDir;
    final Duration settleTimeout;
    final Progress progress;
    private final TokenGenerator tokens;
    private final List<LoadProcess> processes = new CopyOnWriteArrayList<>();
    private final List<WatchProcess> watchers = new CopyOnWriteArrayList<>();
    private JavaClients java = new JavaClients();
    private int nextProcess;
    private int clientsPerProcess = MAX_CLIENTS_PER_PROCESS;
    private volatile Placement placement = Placement.SHARED;

    Harness(ServerTarget server, Path otcLoad, Path otcWatch, Path workDir, Duration settleTimeout, PrintStream out,
            Duration progressInterval) {
        this.server = server;
        this.admin = new Admin(server);
        this.otcLoad = otcLoad;
        this.otcWatch = otcWatch;
        this.workDir = workDir;
        this.settleTimeout = settleTimeout;
        this.tokens = new TokenGenerator(server.apiKey(), server.secret());
        this.progress = new Progress(this, out, progressInterval);
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new HarnessException("cannot create " + workDir + ": " + e.getMessage(), e);
        }
        if (!Files.isExecutable(otcLoad)) {
            throw new HarnessException("no otc-load at " + otcLoad + " (give --otc-load; it is built by java/binding)");
        }
    }

    String token(String sessionId, String data) {
        return tokens.generate(sessionId, TokenOptions.defaults().data(data));
    }

    /** Starts an otc-load process; it is stopped by {@link #stopClients()}. */
    LoadProcess spawn(int progressMs, String... extraArgs) {
        return spawnAt(server.wsUrl(), progressMs, extraArgs);
    }

    /** Starts an otc-load process whose clients connect to {@code wsUrl} (a proxy, say). */
    LoadProcess spawnAt(String wsUrl, int progressMs, String... extraArgs) {
        String name = "load-" + (++nextProcess);
        try {
            LoadProcess process = LoadProcess.start(otcLoad, name, wsUrl, server.apiKey(), workDir,
                    progressMs, List.of(extraArgs), placement);
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new HarnessException("cannot start " + otcLoad + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts a Node process of browser clients ({@code js/packages/load/chaos-clients.mjs}) that
     * speaks otc-load's protocol; it counts among {@link #processes()}, so the checks include it.
     */
    LoadProcess spawnJs(String wsUrl) {
        String name = "js-" + (++nextProcess);
        List<String> command = List.of(Tools.node().toString(), Tools.jsClients().toString(), "--url", wsUrl,
                "--api-key", server.apiKey(), "--progress-ms", "500");
        try {
            LoadProcess process = LoadProcess.start(command, name, workDir, placement);
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new HarnessException("cannot start " + command + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where later client processes run; the server and this JVM move now (the bench's pinned and
     * shared-cores columns). Client processes already running stay where they are.
     */
    void placement(Placement placement) {
        this.placement = placement;
        server.pids().forEach(placement::moveServer);
        placement.moveClient(ProcessHandle.current().pid());
    }

    Placement placement() {
        return placement;
    }

    /** {@code count} otc-load processes with progress every 500 ms. */
    List<LoadProcess> spawnMany(int count, String... extraArgs) {
        List<LoadProcess> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            started.add(spawn(500, extraArgs));
        }
        return started;
    }

    /** Processes needed for {@code clients} clients, at least {@code wanted}. */
    int processesFor(int clients, int wanted) {
        return Math.max(Math.max(1, wanted), (clients + clientsPerProcess - 1) / clientsPerProcess);
    }

    /**
     * Clients per otc-load process at most (default and cap {@value #MAX_CLIENTS_PER_PROCESS}).
     * Fewer spread libotc's per-process work over more event loops.
     */
    Harness clientsPerProcess(int clients) {
        if (clients < 1 || clients > MAX_CLIENTS_PER_PROCESS) {
            throw new HarnessException("clients per process must be 1 to " + MAX_CLIENTS_PER_PROCESS);
        }
        clientsPerProcess = clients;
        return this;
    }

    WatchProcess watch(String sessionId, String data) {
        if (otcWatch == null || !Files.isExecutable(otcWatch)) {
            throw new HarnessException("no otc-watch at " + otcWatch);
        }
        String name = "watch-" + (watchers.size() + 1);
        try {
            WatchProcess watcher = WatchProcess.start(otcWatch, name, server.wsUrl(), server.apiKey(), sessionId,
                    token(sessionId, data), workDir);
            watchers.add(watcher);
            return watcher;
        } catch (IOException e) {
            throw new HarnessException("cannot start " + otcWatch + ": " + e.getMessage(), e);
        }
    }

    boolean hasWatch() {
        return otcWatch != null && Files.isExecutable(otcWatch);
    }

    List<LoadProcess> processes() {
        return processes.stream().filter(LoadProcess::alive).toList();
    }

    /** Every otc-load process of this run, the killed ones included (their reports count). */
    List<LoadProcess> allProcesses() {
        return List.copyOf(processes);
    }

    List<WatchProcess> watchers() {
        return watchers.stream().filter(WatchProcess::alive).toList();
    }

    JavaClients java() {
        return java;
    }

    /** Sum of a progress field over the live otc-load processes. */
    long sum(String field) {
        long total = 0;
        for (LoadProcess process : processes()) {
            total += process.progress(field);
        }
        return total;
    }

    /** Stops every client this harness started: clean leave, then kill what lingers. */
    void stopClients() {
        processes.parallelStream().forEach(process -> process.quit(Duration.ofSeconds(10)));
        processes.clear();
        watchers.forEach(WatchProcess::close);
        watchers.clear();
        java.close();
        java = new JavaClients();
    }

    /** Kills every client process at once: cheaper than clean leaves after a big run. */
    void killClients() {
        processes.forEach(LoadProcess::kill);
        processes.forEach(process -> process.quit(Duration.ofSeconds(5)));
        processes.clear();
        watchers.forEach(WatchProcess::kill);
        watchers.clear();
        java.close();
        java = new JavaClients();
    }

    @Override
    public void close() {
        progress.stop();
        stopClients();
    }
}
