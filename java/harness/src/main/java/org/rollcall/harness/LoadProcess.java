package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One otc-load process: the harness writes its commands to stdin and reads its JSON lines from
 * stdout (docs/harness.md). Progress lines update {@link #progress()}; every other line is kept
 * and can be awaited. Thread-safe.
 */
final class LoadProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final Path stderrFile;
    private final Thread reader;
    private final List<JsonNode> lines = new ArrayList<>(); // guarded by itself; all but progress and roster
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final List<Consumer<JsonNode>> progressListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong echoes = new AtomicLong();
    private volatile JsonNode progress = JSON.createObjectNode();
    private List<RosterLine> rosterBuffer; // guarded by rosterLock
    private CompletableFuture<List<RosterLine>> rosterDone;
    private final Object rosterLock = new Object();
    private int added;

    private record Waiter(Predicate<JsonNode> test, CompletableFuture<JsonNode> result) {
    }

    private LoadProcess(String name, Process process, Path stderrFile) {
        this.name = name;
        this.process = process;
        this.stderrFile = stderrFile;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::readLines, "otc-load-" + name);
        reader.setDaemon(true);
    }

    /**
     * Starts {@code otc-load} against {@code wsUrl}. Its stderr goes to {@code <workDir>/<name>.err}.
     *
     * @param extraArgs more otc-load options, e.g. {@code --hold}
     */
    static LoadProcess start(Path otcLoad, String name, String wsUrl, String apiKey, Path workDir,
                             int progressMs, List<String> extraArgs, Placement placement) throws IOException {
        List<String> command = new ArrayList<>(List.of(otcLoad.toString(), "--url", wsUrl, "--api-key", apiKey,
                "--progress-ms", Integer.toString(progressMs)));
        command.addAll(extraArgs);
        return start(command, name, workDir, placement);
    }

    /**
     * Starts any command that speaks otc-load's protocol on stdin and stdout (the JS clients'
     * {@code chaos-clients.mjs} does). Its stderr goes to {@code <workDir>/<name>.err}.
     */
    static LoadProcess start(List<String> command, String name, Path workDir, Placement placement) throws IOException {
        Path stderrFile = workDir.resolve(name + ".err");
        Process process = new ProcessBuilder(placement.clientCommand(command))
                .redirectError(stderrFile.toFile())
                .start();
        LoadProcess load = new LoadProcess(name, process, stderrFile);
        load.reader.start();
        return load;
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Clients added so far through {@link #add}. */
    synchronized int added() {
        return added;
    }

    /** The latest progress line (empty before the first). */
    JsonNode progress() {
        return progress;
    }

    long progress(String field) {
        return progress.path(field).asLong();
    }

    void onProgress(Consumer<JsonNode> listener) {
        progressListeners.add(listener);
    }

    // --- commands ---------------------------------------------------------------------------

    synchronized void send(String line) {
        try {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("otc-load " + name + " does not take commands (exited "
                    + exitDescription() + ")", e);
        }
    }

    /** Adds a client; it connects at once unless the process is held. */
    synchronized void add(String sessionId, String token, String tag) {
        added++;
        send("add " + sessionId + " " + token + (tag.isEmpty() ? "" : " " + tag));
    }

    void hold() {
        send("hold");
    }

    void go() {
        send("go");
    }

    /**
     * Tells the process the session will have {@code members} members; the future completes with
     * the {@code full} line once every client of that session here holds all the others.
     */
    CompletableFuture<JsonNode> expect(String sessionId, int members) {
        CompletableFuture<JsonNode> full = awaitNext(line -> type(line).equals("full")
                && line.path("session").asText().equals(sessionId) && line.path("expect").asInt() == members);
        send("expect " + sessionId + " " + members);
        return full;
    }

    /** Disconnects up to {@code count} connected clients; returns their connection IDs. */
    List<String> leave(int count, Duration timeout) {
        return leave(count, "", timeout);
    }

    /** Disconnects up to {@code count} connected clients with the tag; returns their connection IDs. */
    List<String> leave(int count, String tag, Duration timeout) {
        List<String> ids = new ArrayList<>();
        leaving(count, tag, timeout).path("ids").forEach(id -> ids.add(id.asText()));
        return ids;
    }

    /** Like {@link #leave}, returning the {@code leaving} line (its {@code t_ns} is when it began). */
    JsonNode leaving(int count, String tag, Duration timeout) {
        CompletableFuture<JsonNode> leaving = awaitNext(line -> type(line).equals("leaving"));
        send("leave " + count + (tag.isEmpty() ? "" : " " + tag));
        return get(leaving, timeout, "leaving");
    }

    /** Returns once every command sent before has been run. */
    void sync(Duration timeout) {
        String token = "s" + echoes.incrementAndGet();
        CompletableFuture<JsonNode> echo = awaitNext(line -> type(line).equals("echo")
                && line.path("text").asText().equals(token));
        send("echo " + token);
        get(echo, timeout, "echo");
    }

    /** A progress line made after this call. */
    JsonNode freshProgress(Duration timeout) {
        long asked = Clock.nowNs();
        CompletableFuture<JsonNode> fresh = new CompletableFuture<>();
        Consumer<JsonNode> listener = line -> {
            if (line.path("t_ns").asLong() >= asked) {
                fresh.complete(line);
            }
        };
        progressListeners.add(listener);
        try {
            send("stats");
            return get(fresh, timeout, "progress");
        } finally {
            progressListeners.remove(listener);
        }
    }

    /** Every client's roster; with {@code full}, their IDs too (small runs only). */
    List<RosterLine> rosters(boolean full, Duration timeout) {
        CompletableFuture<List<RosterLine>> done = new CompletableFuture<>();
        synchronized (rosterLock) {
            rosterBuffer = new ArrayList<>();
            rosterDone = done;
        }
        send(full ? "roster full" : "roster");
        try {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new HarnessException("otc-load " + name + " gave no roster within " + timeout + lastWords());
        }
    }

    /** One client's roster with its IDs. */
    RosterLine roster(int client, Duration timeout) {
        CompletableFuture<JsonNode> line = awaitNext(l -> type(l).equals("roster") && l.path("client").asInt() == client);
        send("roster-client " + client);
        return RosterLine.fromJson(name, get(line, timeout, "roster-client"));
    }

    /** Asks the process to disconnect its clients cleanly and exit; kills it after the timeout. */
    int quit(Duration timeout) {
        if (process.isAlive()) {
            try {
                send("quit");
            } catch (UncheckedIOException e) {
                // already going away
            }
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            reader.join(2000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return -1;
        }
    }

    /** {@code kill -9}: the kernel closes its sockets without a close frame. */
    void kill() {
        process.destroyForcibly();
    }

    /** {@code kill -9}, then waits until it is gone (so {@link #alive()} is false). */
    void killAndWait() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }

    /** Sends a signal by name, e.g. {@code STOP} or {@code CONT}. */
    void signal(String signal) {
        Signals.send(process.pid(), signal);
    }

    @Override
    public void close() {
        quit(Duration.ofSeconds(5));
    }

    // --- lines ------------------------------------------------------------------------------

    /** Lines seen so far (all but progress and roster) that pass {@code test}. */
    List<JsonNode> lines(Predicate<JsonNode> test) {
        synchronized (lines) {
            return lines.stream().filter(test).toList();
        }
    }

    /** The first line, past or future, that passes {@code test}. */
    CompletableFuture<JsonNode> awaitAny(Predicate<JsonNode> test) {
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        synchronized (lines) {
            for (JsonNode line : lines) {
                if (test.test(line)) {
                    result.complete(line);
                    return result;
                }
            }
            waiters.add(new Waiter(test, result));
        }
        return result;
    }

    /** The next line that passes {@code test}; register it before sending the command. */
    CompletableFuture<JsonNode> awaitNext(Predicate<JsonNode> test) {
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        waiters.add(new Waiter(test, result));
        return result;
    }

    /** The session's events seen here, by seq ({@code seqlog}); see {@link EventOrder}. */
    EventOrder.Log seqlog(String sessionId, Duration timeout) {
        CompletableFuture<JsonNode> answer = awaitNext(line -> type(line).equals("seqlog")
                && line.path("session").asText().equals(sessionId));
        send("seqlog " + sessionId);
        try {
            return EventOrder.Log.fromJson(name, answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new HarnessException(name + " did not answer seqlog within " + timeout, e);
        }
    }

    static String type(JsonNode line) {
        return line.path("type").asText();
    }

    private void readLines() {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8), 1 << 16)) {
            String text;
            while ((text = out.readLine()) != null) {
                JsonNode line;
                try {
                    line = JSON.readTree(text);
                } catch (IOException e) {
                    continue; // not ours; otc-load prints only JSON on stdout
                }
                dispatch(line);
            }
        } catch (IOException e) {
            // the process ended
        } finally {
            HarnessException gone = new HarnessException("otc-load " + name + " exited " + exitDescription() + lastWords());
            waiters.forEach(waiter -> waiter.result().completeExceptionally(gone));
            synchronized (rosterLock) {
                if (rosterDone != null) {
                    rosterDone.completeExceptionally(gone);
                }
            }
        }
    }

    private void dispatch(JsonNode line) {
        switch (type(line)) {
            case "progress" -> {
                progress = line;
                progressListeners.forEach(listener -> listener.accept(line));
            }
            case "roster" -> {
                synchronized (rosterLock) {
                    if (rosterBuffer != null) {
                        rosterBuffer.add(RosterLine.fromJson(name, line));
                    }
                }
                complete(line);
            }
            case "roster_end" -> {
                synchronized (rosterLock) {
                    if (rosterDone != null) {
                        rosterDone.complete(rosterBuffer);
                        rosterDone = null;
                        rosterBuffer = null;
                    }
                }
            }
            default -> {
                synchronized (lines) {
                    lines.add(line);
                    complete(line);
                }
            }
        }
    }

    private void complete(JsonNode line) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (waiter.test().test(line)) {
                waiter.result().complete(line);
                waiters.remove(waiter);
            }
        }
    }

    private <T> T get(CompletableFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        } catch (ExecutionException e) {
            throw new HarnessException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new HarnessException("otc-load " + name + ": no " + what + " within " + timeout + lastWords());
        }
    }

    private String exitDescription() {
        return process.isAlive() ? "(still running)" : "with status " + process.exitValue();
    }

    /** The start of its stderr, for error messages. */
    String lastWords() {
        try {
            String text = java.nio.file.Files.readString(stderrFile);
            return text.isBlank() ? "" : "; its stderr: " + text.substring(0, Math.min(800, text.length())).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
