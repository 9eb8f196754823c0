package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One session with browser pages and a C client (otc-watch) as a separate process: everyone
 * sees each join and leave exactly once with the right reason, including a kill -9.
 * Runs when -Drollcall.otcWatch names the built tool.
 */
class MixedClientsTest {
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(10);

    private TestServer server;
    private final String session = "e2e-" + UUID.randomUUID();

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(true);
    }

    @AfterEach
    void stop() throws Exception {
        BrowserPool.releaseAll();
        server.close();
    }

    @Test
    void browsersAndCClientSeeEveryJoinAndLeaveOnce() throws Exception {
        Path otcWatch = ClientProcess.otcWatchPath().orElse(null);
        assumeTrue(otcWatch != null, "set -Drollcall.otcWatch to the built otc-watch");

        RosterPage ann = join("Ann");
        String annId = ann.awaitConnected();
        try (ClientProcess watch = startOtcWatch(otcWatch, "otc-watch")) {
            watch.awaitLine("You have connected to the session."::equals, LINE_TIMEOUT);
            String watchId = ann.awaitMember("otc-watch");
            watch.awaitLine("Another client connected. 2 total."::equals, LINE_TIMEOUT);

            RosterPage bob = join("Bob");
            String bobId = bob.awaitConnected();
            watch.awaitLine("Another client connected. 3 total."::equals, LINE_TIMEOUT);
            ann.awaitCount(3);
            bob.awaitCount(3);

            bob.leave();
            watch.awaitLine("A client disconnected. 2 total. (clientDisconnected)"::equals, LINE_TIMEOUT);
            assertEquals("clientDisconnected", ann.awaitLogEntry("destroyed", bobId).getAttribute("data-reason"));

            long killedAt = System.nanoTime();
            watch.killHard();
            assertEquals("networkDisconnected", ann.awaitLogEntry("destroyed", watchId).getAttribute("data-reason"));
            long seenMs = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.printf("kill -9 of otc-watch seen by the page in %d ms%n", seenMs);
            assertTrue(seenMs < server.config().graceClosedMs() + 2000, "kill -9 seen in " + seenMs + " ms");

            assertEquals(List.of(
                    "You have connected to the session.",
                    "Another client connected. 2 total.",
                    "Another client connected. 3 total.",
                    "A client disconnected. 2 total. (clientDisconnected)"), watch.linesSeen());
            // A later join proves nothing about the others is still on its way to Ann.
            String cid = join("Cid").awaitConnected();
            ann.awaitLogEntry("created", cid);
            for (String other : List.of(watchId, bobId)) {
                assertEquals(1, ann.logEntries("created", other).size(), ann.logText());
                assertEquals(1, ann.logEntries("destroyed", other).size(), ann.logText());
            }
            assertEquals(List.of(annId, cid), ann.rosterIds());
        }
    }

    private ClientProcess startOtcWatch(Path otcWatch, String data) throws Exception {
        return ClientProcess.start(data, List.of(otcWatch.toString(),
                "--url", server.webSocketUrl(),
                "--api-key", server.app().apiKey(),
                "--session", session,
                "--token", server.devToken(session, data)));
    }

    private RosterPage join(String name) {
        return BrowserPool.open(server.baseUrl() + "/?session=" + session + "&name=" + name + "&autojoin=1");
    }
}
