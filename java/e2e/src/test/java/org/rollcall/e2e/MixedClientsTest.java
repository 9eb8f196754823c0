package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scenario in one session: two browser pages, the C client otc-watch (its own process)
 * and a Java client (the binding, in this JVM) join; one page leaves; otc-watch is killed with
 * kill -9. Every remaining member sees each join and leave exactly once, with the right reason.
 */
class MixedClientsTest {
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(10);

    private TestServer server;
    private final String session = "e2e-" + UUID.randomUUID();
    private final Deque<AutoCloseable> clients = new ArrayDeque<>();

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(true);
    }

    @AfterEach
    void stop() throws Exception {
        while (!clients.isEmpty()) {
            clients.pop().close();
        }
        BrowserPool.releaseAll();
        server.close();
    }

    @Test
    void pagesCAndJavaClientsSeeEveryJoinAndLeaveOnce() throws Exception {
        Path otcWatch = ClientProcess.otcWatch();
        RosterPage ann = join("Ann");
        String annId = ann.awaitConnected();
        RosterPage bob = join("Bob");
        String bobId = bob.awaitConnected();

        ClientProcess watch = closeLater(startOtcWatch(otcWatch, "otc-watch"));
        watch.awaitLine("You have connected to the session."::equals, LINE_TIMEOUT);
        watch.awaitLine("Another client connected. 3 total."::equals, LINE_TIMEOUT);
        String watchId = ann.awaitMember("otc-watch");

        JavaClient java = closeLater(JavaClient.join(server, session, "java"));
        String javaId = java.ownId();
        watch.awaitLine("Another client connected. 4 total."::equals, LINE_TIMEOUT);
        ann.awaitCount(4);
        bob.awaitCount(4);

        bob.leave();
        bob.awaitDisconnected();
        watch.awaitLine("A client disconnected. 3 total. (clientDisconnected)"::equals, LINE_TIMEOUT);

        // The C client's last event: once it prints this join, nothing earlier can still reach it.
        String markId = closeLater(JavaClient.join(server, session, "mark")).ownId();
        watch.awaitLine("Another client connected. 4 total."::equals, LINE_TIMEOUT);

        long killedAt = System.nanoTime();
        watch.killHard();
        assertEquals("networkDisconnected", ann.awaitLogEntry("destroyed", watchId).getAttribute("data-reason"));
        long seenMs = (System.nanoTime() - killedAt) / 1_000_000;
        System.out.printf("kill -9 of otc-watch seen by the page in %d ms%n", seenMs);
        assertTrue(seenMs < server.config().graceClosedMs() + 2000, "kill -9 seen in " + seenMs + " ms");

        // Everyone must see the sentinel's join, which comes after everything above: then no
        // duplicate or late event can still be on its way.
        String sentinelId = closeLater(JavaClient.join(server, session, "sentinel")).ownId();
        ann.awaitLogEntry("created", sentinelId);
        java.awaitEvent("created " + sentinelId);

        assertEquals(List.of(
                "You have connected to the session.",
                "Another client connected. 2 total.",
                "Another client connected. 3 total.",
                "Another client connected. 4 total.",
                "A client disconnected. 3 total. (clientDisconnected)",
                "Another client connected. 4 total."), watch.linesSeen(), "otc-watch until it died");

        Map<String, Long> othersSee = onceEach(
                "created " + annId, "created " + bobId, "created " + watchId,
                "destroyed " + bobId + " clientDisconnected",
                "created " + markId,
                "destroyed " + watchId + " networkDisconnected",
                "created " + sentinelId);
        // A page announces its own connection too (OpenTok JS); the Java binding does not.
        Map<String, Long> annSees = new TreeMap<>(othersSee);
        annSees.put("created " + javaId, 1L);
        assertEquals(annSees, tally(ann.connectionEvents()), "Ann's page: " + ann.logText());
        assertEquals(othersSee, tally(java.connectionEvents()), "Java client: " + java.connectionEvents());
        assertEquals(onceEach("created " + annId, "created " + bobId, "created " + watchId, "created " + javaId),
                tally(bob.connectionEvents()), "Bob's page until it left: " + bob.logText());

        assertEquals(List.of(annId, javaId, markId, sentinelId), ann.rosterIds(), "Ann's roster");
        assertEquals(List.of(annId, markId, sentinelId), java.rosterIds(), "Java client's roster");
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

    private <T extends AutoCloseable> T closeLater(T client) {
        clients.push(client);
        return client;
    }

    private static Map<String, Long> onceEach(String... events) {
        return tally(List.of(events));
    }

    /** How often each event line occurs. */
    private static Map<String, Long> tally(List<String> events) {
        return events.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }
}
