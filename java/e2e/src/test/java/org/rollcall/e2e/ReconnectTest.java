package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** rollcall.js keeps its roster right through dropped and dead links, server restarts and removal. */
class ReconnectTest {
    private TestServer server;
    private final String session = "e2e-" + UUID.randomUUID();

    @AfterEach
    void stop() throws Exception {
        BrowserPool.releaseAll();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void droppedLinkResumesUnseenByOthers() throws Exception {
        server = TestServer.start(true);
        try (FlakyLink link = new FlakyLink(server.port())) {
            RosterPage ann = join(link.baseUrl(), "Ann");
            String annId = ann.awaitConnected();
            RosterPage bob = join(server.baseUrl(), "Bob");
            String bobId = bob.awaitConnected();
            ann.awaitCount(2);

            long cutAt = System.nanoTime();
            link.cut();
            ann.waitUntil("reconnected", () -> !ann.logEntries("reconnected").isEmpty());
            System.out.printf("dropped link: resumed in %d ms%n", (System.nanoTime() - cutAt) / 1_000_000);

            assertEquals(annId, ann.ownId(), "resumed as the same connection");
            assertResumeWasInvisible(ann, annId, bob, bobId);
        }
    }

    @Test
    void deadLinkIsFoundByHeartbeatsAndResumedUnseenByOthers() throws Exception {
        server = TestServer.start(true);
        try (FlakyLink link = new FlakyLink(server.port())) {
            RosterPage ann = join(link.baseUrl(), "Ann");
            String annId = ann.awaitConnected();
            RosterPage bob = join(server.baseUrl(), "Bob");
            String bobId = bob.awaitConnected();
            ann.awaitCount(2);

            long stallAt = System.nanoTime();
            link.stall();
            ann.waitUntil("reconnecting", () -> !ann.logEntries("reconnecting").isEmpty());
            long detectedMs = (System.nanoTime() - stallAt) / 1_000_000;
            ann.waitUntil("reconnected", () -> !ann.logEntries("reconnected").isEmpty());
            System.out.printf("dead link: noticed in %d ms, resumed in %d ms%n",
                    detectedMs, (System.nanoTime() - stallAt) / 1_000_000);

            // The page counts silence from the last frame it got, a pong at most one interval before the stall.
            long timeoutMs = server.config().heartbeatTimeoutMs();
            long earliest = timeoutMs - server.config().heartbeatIntervalMs() - 250;
            assertTrue(detectedMs >= earliest && detectedMs < timeoutMs + 2000,
                    "silence noticed after about heartbeat.timeoutMs: " + detectedMs + " ms");
            assertEquals(annId, ann.ownId(), "resumed as the same connection");
            assertResumeWasInvisible(ann, annId, bob, bobId);
        }
    }

    @Test
    void serverRestartCostsOneLeaveAndOneJoinPerMember() throws Exception {
        server = TestServer.start(true);
        RosterPage ann = join(server.baseUrl(), "Ann");
        String oldAnn = ann.awaitConnected();
        RosterPage bob = join(server.baseUrl(), "Bob");
        String oldBob = bob.awaitConnected();
        ann.awaitCount(2);

        server = server.restart();
        for (RosterPage page : List.of(ann, bob)) {
            page.waitUntil("a new own connection", () -> {
                String own = page.ownId();
                return own != null && !own.equals(oldAnn) && !own.equals(oldBob);
            });
        }
        String newAnn = ann.ownId();
        String newBob = bob.ownId();
        ann.awaitRoster(Set.of(newAnn, newBob));
        bob.awaitRoster(Set.of(newAnn, newBob));

        // Cid's join comes after everything the restart caused: then nothing more may be pending.
        String cid = join(server.baseUrl(), "Cid").awaitConnected();
        for (RosterPage page : List.of(ann, bob)) {
            page.awaitLogEntry("created", cid);
            for (String gone : List.of(oldAnn, oldBob)) {
                assertEquals(1, page.logEntries("destroyed", gone).size(), page.logText());
                assertEquals("networkDisconnected",
                        page.logEntries("destroyed", gone).get(0).getAttribute("data-reason"));
            }
            for (String fresh : List.of(newAnn, newBob, cid)) {
                assertEquals(1, page.logEntries("created", fresh).size(), page.logText());
            }
            assertEquals(5, page.logEntries("created").size(), page.logText());
            assertEquals(2, page.logEntries("destroyed").size(), page.logText());
            assertEquals(3, page.count());
        }
    }

    @Test
    void forcedOutPageSaysSoAndOthersSeeForceDisconnected() throws Exception {
        server = TestServer.start(true);
        RosterPage ann = join(server.baseUrl(), "Ann");
        ann.awaitConnected();
        RosterPage bob = join(server.baseUrl(), "Bob");
        String bobId = bob.awaitConnected();
        ann.awaitCount(2);

        server.forceDisconnect(session, bobId);
        bob.awaitDisconnected();
        assertEquals("forceDisconnected", bob.logEntries("disconnected").get(0).getAttribute("data-reason"));
        assertEquals("forceDisconnected", ann.awaitLogEntry("destroyed", bobId).getAttribute("data-reason"));
        ann.awaitCount(1);
        assertTrue(bob.logEntries("reconnecting").isEmpty(), "a forced-out client does not come back");
    }

    private void assertResumeWasInvisible(RosterPage ann, String annId, RosterPage bob, String bobId) {
        String cid = join(server.baseUrl(), "Cid").awaitConnected();
        ann.awaitLogEntry("created", cid);
        bob.awaitLogEntry("created", cid);
        assertTrue(bob.logEntries("destroyed").isEmpty(), bob.logText());
        assertEquals(1, bob.logEntries("created", annId).size(), bob.logText());
        assertTrue(ann.logEntries("destroyed").isEmpty(), ann.logText());
        assertEquals(1, ann.logEntries("created", bobId).size(), ann.logText());
        assertEquals(List.of(annId, bobId, cid), ann.rosterIds());
    }

    private RosterPage join(String baseUrl, String name) {
        return BrowserPool.open(baseUrl + "/?session=" + session + "&name=" + name + "&autojoin=1");
    }
}
