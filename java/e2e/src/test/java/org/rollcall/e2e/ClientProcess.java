package org.rollcall.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A client running as its own process (the C tool otc-watch), whose stdout lines the test reads
 * as they come. Stderr goes to the test's output for diagnosis.
 */
final class ClientProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final Thread reader;

    private ClientProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        reader = new Thread(this::readStdout, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The otc-watch that java/binding builds, from -Drollcall.otcWatch (set by the pom). Missing is
     * a failure, not a reason to skip: the C client is part of the scenario.
     */
    static Path otcWatch() {
        Path path = Path.of(System.getProperty("rollcall.otcWatch", "../binding/target/native/bin/otc-watch"));
        if (!Files.isExecutable(path)) {
            throw new AssertionError(path + " is missing: build java/binding first (mvn -pl java/binding"
                    + " install -DskipTests, or the whole reactor) or set -Drollcall.otcWatch");
        }
        return path;
    }

    static ClientProcess start(String name, List<String> command) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            return new ClientProcess(name, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Waits for the next stdout line that matches; lines before it are consumed. */
    String awaitLine(Predicate<String> matches, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? unread.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError(name + ": no matching line within " + timeout + "; saw " + linesSeen());
            }
            if (matches.test(line)) {
                return line;
            }
        }
    }

    /** Every stdout line so far, read or not; after {@link #killHard()}, every line it ever printed. */
    synchronized List<String> linesSeen() {
        return List.copyOf(seen);
    }

    long pid() {
        return process.pid();
    }

    /**
     * SIGKILL: the process gets no chance to say goodbye; its kernel closes the socket. Returns
     * once it is dead and its stdout is read to the end.
     */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived kill -9");
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                killHard();
            }
        }
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (this) {
                    seen.add(line);
                }
                unread.add(line);
            }
        } catch (IOException e) {
            // The process ended; the lines read so far stay available.
        }
    }
}
