package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A join storm of browser clients (the @rollcall/client package on Node, js/packages/load) against
 * the real server: every client sees every other exactly once, no ghost, no reconnect.
 */
class JsStormTest {
    private static final int CLIENTS = 200;

    @Test
    void aStormOfJsClientsConvergesWithNoGhostDuplicateOrReconnect() throws Exception {
        Path storm = Path.of(System.getProperty("rollcall.jsStorm", "../../js/packages/load/storm.mjs"));
        assertTrue(Files.isRegularFile(storm), storm + " is missing");
        try (TestServer server = TestServer.start(false)) {
            Process node = new ProcessBuilder(List.of("node", storm.toString(),
                    "--url", server.webSocketUrl(), "--api-key", server.app().apiKey(),
                    "--secret", server.app().secret(), "--clients", String.valueOf(CLIENTS)))
                    .redirectErrorStream(true)
                    .start();
            assertTrue(node.waitFor(120, TimeUnit.SECONDS), "the storm did not finish");
            String report = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println("JS storm: " + report.strip());
            assertEquals(0, node.exitValue(), report);
            assertTrue(report.contains("\"clients\":" + CLIENTS + ",") && report.contains("\"problems\":0"), report);
        }
    }
}
