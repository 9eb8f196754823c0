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
 * A short seeded chaos run against the built server jar (it is killed and restarted): C, JS and
 * Java clients through the link proxy and an otc-watch observer, every round checked. At most two
 * minutes.
 */
class ChaosTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aShortSeededChaosHasNoDivergence(@TempDir Path workDir) {
        Path jar = Path.of(System.getProperty("rollcall.serverJar", "../server/target/rollcall-server.jar"));
        assertTrue(Files.isRegularFile(jar), "the server jar is built before this module: " + jar);
        try (SpawnedServer server = new SpawnedServer(jar, List.of("-Xmx256m"),
                Main.withDefaults(List.of(), Main.scenarioServerDefaults()), workDir, "chaos",
                UUID.randomUUID().toString()).start();
             Harness harness = new Harness(server, Tools.find("otc-load"), Tools.find("otc-watch"), workDir,
                     Duration.ofSeconds(20), System.out, Duration.ofSeconds(10))) {
            // Seed 3's first 8 rounds do every disturbance but stop-grace (about 30 s here).
            ScenarioResult result = new Chaos(Long.getLong("rollcall.chaosSeed", 3L),
                    Integer.getInteger("rollcall.chaosRounds", 8), 3)
                    .run(harness, new ScenarioOptions(8, 2, 2, Duration.ZERO, 0, 1));
            Main.print(result, System.out);
            assertEquals(List.of(), result.violations(), "chaos diverged: " + result.figures());
            assertEquals(result.figures().get("rounds_asked"), result.figures().get("rounds_completed"));
            Map<?, ?> actions = (Map<?, ?>) result.figures().get("actions");
            if (!Long.getLong("rollcall.chaosSeed", 3L).equals(3L)) {
                return;
            }
            for (String action : List.of("join", "leave", "kill", "stop-short", "stop-long", "force", "reset", "stall",
                    "server-restart")) {
                assertTrue(actions.containsKey(action), "the seed's plan does " + action + ": " + actions);
            }
        }
    }
}
