package org.rollcall.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} (Debian's, Redis 7) for a {@link SpawnedCluster}: on a free loopback port,
 * persistence off (no RDB snapshot, no append-only file: a run leaves nothing behind), its log in
 * {@code <workDir>/redis.log}, stopped by {@link #close()}.
 */
final class RedisServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final int port;

    private RedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static RedisServer start(Path workDir, Placement placement) {
        int port = freePort();
        List<String> command = List.of(executable(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--loglevel", "warning");
        Path log = workDir.resolve("redis.log");
        try {
            Process process = new ProcessBuilder(placement.serverCommand(command)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            RedisServer redis = new RedisServer(process, port);
            redis.awaitPong(log);
            return redis;
        } catch (IOException e) {
            throw new HarnessException("cannot start redis-server: " + e.getMessage(), e);
        }
    }

    /** {@code redis://127.0.0.1:PORT}, for the nodes' {@code --redis}. */
    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** Answers PING once it accepts commands (it may listen before it has loaded). */
    private void awaitPong(Path log) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new HarnessException("redis-server exited with status " + process.exitValue() + ": "
                        + Files.readString(log).strip());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                socket.setSoTimeout(1000);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = socket.getInputStream();
                byte[] answer = in.readNBytes(7);
                if (new String(answer, StandardCharsets.US_ASCII).equals("+PONG\r\n")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Clients.sleep(50); // nothing to wait on but the port
        }
        close();
        throw new HarnessException("redis-server did not answer PING within " + START_TIMEOUT);
    }

    private static String executable() {
        String property = System.getProperty("rollcall.redisServer");
        return property != null ? property : "redis-server"; // Debian's, on the PATH (scripts/deps)
    }

    /** A port free now; redis-server takes it a moment later (a start that lost the race fails loudly). */
    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new HarnessException("no free port for redis-server: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: with persistence off it exits at once
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
