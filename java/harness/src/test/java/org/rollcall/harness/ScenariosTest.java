package org.rollcall.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every scenario at a small size against a real server over real sockets, with real otc-load,
 * otc-watch and Java binding clients: each must pass with no violation. And the checker must
 * catch a client whose roster went stale.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScenariosTest {
    private static final Duration SETTLE = Duration.ofSeconds(20);

    @TempDir
    static Path workDir;
    private static InProcessServer server;
    private static Harness harness;

    @BeforeAll
    static void start() {
        server = new InProcessServer();
        harness = new Harness(server, Tools.find("otc-load"), Tools.find("otc-watch"), workDir, SETTLE, System.out,
                Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        if (harness != null) {
            harness.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ScenarioOptions small(int clients, int seconds) {
        return new ScenarioOptions(clients, 2, 2, Duration.ofSeconds(seconds), 0, 2);
    }

    private static void assertPassed(ScenarioResult result) {
        Main.print(result, System.out);
        assertEquals(List.of(), result.violations(), result.scenario() + " reported violations");
    }

    @Test
    void joinStorm() {
        ScenarioResult result = new JoinStorm().run(harness, small(50, 0));
        assertPassed(result);
        // Of each pair, the later joiner is an event to the earlier one and in the other's first roster.
        long members = 52;
        assertTrue((Long) result.figures().get("events_sent") >= members * (members - 1) / 2,
                "each pair of members made an event: " + result.figures());
    }

    @Test
    void churn() {
        ScenarioResult result = new Churn().run(harness, new ScenarioOptions(30, 2, 2, Duration.ofSeconds(3), 10, 0));
        assertPassed(result);
        assertTrue((Integer) result.figures().get("leaves") >= 20, "clients did leave: " + result.figures());
    }

    @Test
    void killStorm() {
        ScenarioResult result = new KillStorm().run(harness, new ScenarioOptions(30, 3, 2, Duration.ZERO, 0, 2));
        assertPassed(result);
        assertEquals(11, result.figures().get("killed_clients"), "10 otc-load clients and one otc-watch");
    }

    @Test
    void largeIdle() {
        assertPassed(new LargeIdle().run(harness, new ScenarioOptions(200, 2, 2, Duration.ofSeconds(3), 2000, 0)));
    }

    @Test
    void serverRestart(@TempDir Path restartDir) throws IOException {
        Path jar = Path.of(System.getProperty("rollcall.serverJar", "../server/target/rollcall-server.jar"));
        assertTrue(Files.isRegularFile(jar), "the server jar is built before this module: " + jar);
        try (SpawnedServer spawned = new SpawnedServer(jar, List.of("-Xmx256m"),
                Main.withDefaults(List.of(), Main.scenarioServerDefaults()), restartDir, "restart",
                UUID.randomUUID().toString()).start();
             Harness restartHarness = new Harness(spawned, Tools.find("otc-load"), Tools.find("otc-watch"),
                     restartDir, SETTLE, System.out, Duration.ofSeconds(5))) {
            ScenarioResult result = new ServerRestart().run(restartHarness, small(30, 0));
            assertPassed(result);
        }
    }

    @Test
    void checkerCatchesAStaleRoster() {
        String sessionId = Clients.newSessionId("stale");
        LoadProcess process = harness.spawn(200);
        try {
            CompletableFuture<JsonNode> full = process.expect(sessionId, 5);
            process.add(sessionId, harness.token(sessionId, "deaf"), "deaf");
            for (int i = 0; i < 4; i++) {
                process.add(sessionId, harness.token(sessionId, "c:" + i), "x");
            }
            Clients.awaitFull(harness, List.of(full), sessionId, 5, 0, SETTLE);
            process.send("deafen 0");
            List<String> left = process.leave(1, "x", SETTLE);
            assertEquals(1, left.size());

            List<Violation> violations = Checker.settle(harness, new Expectation().members(sessionId, 4)
                    .dropReason(sessionId, "clientDisconnected"), Duration.ofSeconds(2));

            assertEquals(1, violations.size(), violations.toString());
            Violation stale = violations.get(0);
            assertEquals("roster_mismatch", stale.kind());
            assertTrue(stale.detail().contains("ghosts (held, not listed): [" + left.get(0) + "]"), stale.detail());
        } finally {
            harness.stopClients();
        }
    }

    @Test
    void checkerCatchesAWrongReasonAcrossProcesses() {
        // Two processes watch one session; the server removes a member (forceDisconnected) where
        // the expectation says clean leaves only: both processes' seq logs carry the wrong reason.
        String sessionId = Clients.newSessionId("reason");
        List<LoadProcess> processes = List.of(harness.spawn(200), harness.spawn(200));
        try {
            List<CompletableFuture<JsonNode>> fulls = Clients.expect(processes, sessionId, 4);
            for (int i = 0; i < 4; i++) {
                processes.get(i % 2).add(sessionId, harness.token(sessionId, "c:" + i), "");
            }
            Clients.awaitFull(harness, fulls, sessionId, 4, 0, SETTLE);
            String victim = harness.admin.connections(sessionId).ids().get(0);
            assertTrue(harness.admin.forceDisconnect(sessionId, victim));
            Expectation expected = new Expectation().members(sessionId, 3).allowEnded()
                    .dropReason(sessionId, "clientDisconnected");

            List<Violation> violations = Checker.settle(harness, expected, SETTLE);

            assertEquals(List.of("wrong_reason"), violations.stream().map(Violation::kind).toList(),
                    violations.toString());
            assertTrue(violations.get(0).detail().contains("dropped " + victim)
                    && violations.get(0).detail().contains("forceDisconnected"), violations.toString());
        } finally {
            harness.stopClients();
        }
    }
}
