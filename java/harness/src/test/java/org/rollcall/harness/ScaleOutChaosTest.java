package org.rollcall.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short seeded chaos over three server nodes and a real redis-server ({@code run chaos --nodes 3}):
 * clients spread over the nodes, one node killed with kill -9 and restarted, every round checked
 * as on one node (roster = any node's list minus self, reasons, one (epoch, seq) order), with one
 * otc-watch observer checked by identity. About a minute on a busy 2-core machine.
 */
class ScaleOutChaosTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aShortSeededChaosOverThreeNodesHasNoDivergence(@TempDir Path workDir) {
        Path jar = Path.of(System.getProperty("rollcall.serverJar", "../server/target/rollcall-server.jar"));
        assertTrue(Files.isRegularFile(jar), "the server jar is built before this module: " + jar);
        try (SpawnedCluster cluster = new SpawnedCluster(3, jar, List.of("-Xmx256m"),
                Main.withDefaults(List.of(), Main.scenarioServerDefaults()), workDir, "chaos",
                UUID.randomUUID().toString(), Placement.SHARED);
             Harness harness = new Harness(cluster, Tools.find("otc-load"), Tools.find("otc-watch"), workDir,
                     Duration.ofSeconds(20), System.out, Duration.ofSeconds(10))) {
            // Seed 3 with three nodes: its fifth round kills node 3 (its clients resume through the others).
            ScenarioResult result = new Chaos(3, 10, 3).run(harness, new ScenarioOptions(9, 3, 2, Duration.ZERO, 0, 1));
            Main.print(result, System.out);
            assertEquals(List.of(), result.violations(), "chaos over three nodes diverged: " + result.figures());
            assertEquals(10, result.figures().get("rounds_completed"));
            Map<?, ?> actions = (Map<?, ?>) result.figures().get("actions");
            assertTrue(actions.containsKey("server-restart"), "the seed's plan kills a node: " + actions);
        }
    }
}
