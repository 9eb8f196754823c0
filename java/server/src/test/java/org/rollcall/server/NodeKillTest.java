package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a real server process among the nodes of a session: the other nodes report its
 * members {@code networkDisconnected} within lease + grace (the defaults: 2 s + 1.5 s, under the 5 s
 * bound), and a client of the dead node resumes through another node with its ID.
 */
class NodeKillTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theOthersReportAKilledNodesMembersAndItsClientsResumeElsewhere() throws Exception {
        ServerConfig defaults = ServerConfig.builder().connectRate(10_000).connectBurst(10_000).build();
        try (Cluster cluster = new Cluster(2, defaults, RedisConfig.DEFAULT_LEASE_MS)) {
            Path portFile = Files.createTempFile("rollcall-node", ".port");
            Files.delete(portFile);
            Process node = spawn(cluster.redis.uri(), portFile);
            try {
                URI doomed = URI.create("ws://127.0.0.1:" + awaitPort(node, portFile) + "/v1/ws");
                String session = Fixture.newSession();
                TestClient lost = cluster.track(TestClient.connect(doomed, Fixture.APP.apiKey(), session,
                        cluster.token(session, "lost")));
                TestClient mover = cluster.track(TestClient.connect(doomed, Fixture.APP.apiKey(), session,
                        cluster.token(session, "mover")));
                TestClient watcher = cluster.join(0, session, "watcher");
                assertEquals(Set.of(lost.id(), mover.id()), new HashSet<>(ScaleOutTest.toldOf(watcher)));

                long killedAt = System.nanoTime();
                node.destroyForcibly(); // SIGKILL
                node.waitFor(10, TimeUnit.SECONDS);
                mover.awaitClose();
                TestClient resumed = cluster.resume(1, session, mover);
                JsonNode connected = resumed.awaitConnected();
                assertEquals(mover.id(), connected.path("connection").path("id").asText());

                JsonNode gone = watcher.awaitEvent(e -> ScaleOutTest.destroyed(e, lost.id()), WAIT);
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                System.out.println("NodeKillTest: the killed node's member was reported after " + tookMs + " ms");
                assertEquals("networkDisconnected", gone.path("reason").asText());
                assertTrue(tookMs <= 5_000 + 1_000, "within lease + grace (5 s, and 1 s for a loaded machine): " + tookMs);
                assertEquals("networkDisconnected",
                        resumed.awaitEvent(e -> ScaleOutTest.destroyed(e, lost.id()), WAIT).path("reason").asText());
                assertFalse(watcher.events().stream().anyMatch(e -> ScaleOutTest.destroyed(e, mover.id())),
                        "the resumed connection has moved on: " + watcher.events());
                assertEquals(Set.of(watcher.id(), mover.id()), new HashSet<>(cluster.listed(0, session)));
            } finally {
                node.destroyForcibly();
            }
        }
    }

    /** A node in a process of its own, from this JVM's class path, with the defaults (lease, grace). */
    private static Process spawn(String redisUri, Path portFile) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.rollcall.server.Main", "serve",
                "--port", "0", "--port-file", portFile.toString(), "--redis", redisUri, "--node-id", "doomed",
                "--app", Fixture.APP.apiKey() + ":" + Fixture.APP.secret(),
                "--admin-secret", Fixture.APP.apiKey() + ":" + Fixture.APP.adminSecret(),
                "--connect-rate", "10000", "--connect-burst", "10000")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
        return builder.start();
    }

    private static int awaitPort(Process node, Path portFile) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                if (Files.exists(portFile)) {
                    String text = Files.readString(portFile).trim();
                    if (!text.isEmpty()) {
                        return Integer.parseInt(text);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertTrue(node.isAlive(), "the node process exited");
            RedisProcess.sleepMs(50);
        }
        throw new AssertionError("the node did not start within 30 s");
    }
}
