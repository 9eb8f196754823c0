package org.rollcall.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A server the harness runs from the shaded jar ({@code rollcall-server.jar serve}), on a free port
 * the first time and on the same port after {@link #killAndRestart()}. Its output goes to
 * {@code <workDir>/server-<n>.log} (another name with {@link #named}).
 */
final class SpawnedServer implements ServerTarget {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path jar;
    private final List<String> jvmArgs;
    private final List<String> serverArgs;
    private final Path workDir;
    private final String apiKey;
    private final String secret;
    private Process process;
    private volatile Placement placement = Placement.SHARED;
    private String name = "server";
    private int port;
    private int starts;

    /**
     * @param jvmArgs e.g. {@code -Xmx1g}
     * @param serverArgs more {@code serve} flags, e.g. {@code --connect-rate 100000}
     */
    SpawnedServer(Path jar, List<String> jvmArgs, List<String> serverArgs, Path workDir, String apiKey, String secret) {
        this.jar = jar;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.serverArgs = List.copyOf(serverArgs);
        this.workDir = workDir;
        this.apiKey = apiKey;
        this.secret = secret;
    }

    /** Names its files: {@code <name>.port}, {@code <name>-<start>.log} (a cluster's nodes share a work dir). */
    SpawnedServer named(String name) {
        this.name = name;
        return this;
    }

    /** Where this server runs from its next start on (a restart keeps it). */
    SpawnedServer placement(Placement placement) {
        this.placement = placement;
        return this;
    }

    synchronized SpawnedServer start() {
        if (!Files.isRegularFile(jar)) {
            throw new HarnessException("no server jar at " + jar + " (build it: mvn -pl java/server -am package)");
        }
        starts++;
        Path portFile = workDir.resolve(name + ".port");
        Path log = workDir.resolve(name + "-" + starts + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", jar.toString(), "serve", "--port", Integer.toString(port),
                "--port-file", portFile.toString(), "--app", apiKey + ":" + secret,
                "--admin-secret", apiKey + ":" + adminSecret()));
        command.addAll(serverArgs);
        try {
            Files.deleteIfExists(portFile);
            process = new ProcessBuilder(placement.serverCommand(command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            port = awaitPort(portFile, log);
        } catch (IOException e) {
            throw new HarnessException("cannot start the server: " + e.getMessage(), e);
        }
        return this;
    }

    private int awaitPort(Path portFile, Path log) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(portFile)) {
                return Integer.parseInt(Files.readString(portFile).trim());
            }
            if (!process.isAlive()) {
                throw new HarnessException("the server exited with status " + process.exitValue() + ": "
                        + Files.readString(log).strip());
            }
            sleep(20); // the port file appears once the server listens: nothing to wait on
        }
        process.destroyForcibly();
        throw new HarnessException("the server did not listen within " + START_TIMEOUT);
    }

    @Override
    public synchronized String httpUrl() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public String apiKey() {
        return apiKey;
    }

    @Override
    public String secret() {
        return secret;
    }

    /** The admin API's own secret (the server refuses the signing secret there). */
    public String adminSecret() {
        return secret + ".admin";
    }

    @Override
    public boolean restartable() {
        return true;
    }

    @Override
    public synchronized void killAndRestart() {
        kill();
        start();
    }

    /** {@code kill -9}, and waits until it is gone. */
    synchronized void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized OptionalLong pid() {
        return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }
}
