package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The React example (js/examples/react-roster, built by Vite in development mode, so StrictMode
 * mounts every component twice) served from its own origin, against the real server, with a C
 * client in the same session.
 */
class ReactExampleTest {
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(10);
    private static TestServer server;
    private static StaticSite site;

    @BeforeAll
    static void start() throws Exception {
        site = StaticSite.serve(Path.of(System.getProperty("rollcall.reactExample", "../../js/examples/react-roster/dist")));
        server = TestServer.startAllowing(site.origin());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (site != null) {
            site.close();
        }
    }

    @AfterEach
    void leavePages() {
        BrowserPool.releaseAll();
    }

    @Test
    void reactSessionsSeeEachOtherOnceAndLeavesHaveTheirReasons() throws Exception {
        String session = "react-" + UUID.randomUUID();
        RosterPage ann = open(session, "Ann");
        String annId = ann.awaitConnected();
        RosterPage bob = open(session, "Bob");
        String bobId = bob.awaitConnected();
        ann.awaitRoster(Set.of(annId, bobId));
        bob.awaitRoster(Set.of(annId, bobId));

        try (ClientProcess watch = ClientProcess.start("otc-watch", List.of(ClientProcess.otcWatch().toString(),
                "--url", server.webSocketUrl(), "--api-key", server.app().apiKey(), "--session", session,
                "--token", server.devToken(session, "otc-watch")))) {
            watch.awaitLine("You have connected to the session."::equals, LINE_TIMEOUT);
            String watchId = ann.awaitMember("otc-watch");

            bob.leave(); // unmounts <OTSession>: a close frame
            String reason = ann.awaitLogEntry("destroyed", bobId).getAttribute("data-reason");
            assertEquals("clientDisconnected", reason, ann.logText());
            watch.awaitLine("A client disconnected. 2 total. (clientDisconnected)"::equals, LINE_TIMEOUT);

            watch.killHard();
            reason = ann.awaitLogEntry("destroyed", watchId).getAttribute("data-reason");
            assertEquals("networkDisconnected", reason, ann.logText());

            // A last join: once Ann sees it, nothing earlier can still be on its way to her.
            String cidId = open(session, "Cid").awaitConnected();
            ann.awaitLogEntry("created", cidId);
            // StrictMode mounted each page's <OTSession> twice: a second join would show up here as
            // an extra created and a clientDisconnected, an error as #error.
            assertEquals(List.of("created " + annId, "created " + bobId, "created " + watchId,
                            "destroyed " + bobId + " clientDisconnected", "destroyed " + watchId + " networkDisconnected",
                            "created " + cidId),
                    ann.connectionEvents(), ann.logText());
            assertEquals(List.of("created " + annId, "created " + bobId), bob.connectionEvents().subList(0, 2));
            ann.awaitRoster(Set.of(annId, cidId));
            for (RosterPage page : List.of(ann, bob)) {
                assertTrue(page.errorShown() == null, "no error: " + page.errorShown());
            }
        }
    }

    @Test
    void reactPageHasNoAccessibilityViolations() throws Exception {
        String session = "react-" + UUID.randomUUID();
        RosterPage page = open(session, "Ann");
        page.awaitConnected();
        assertEquals(List.of(), Axe.violations(page.driver()));
    }

    private RosterPage open(String session, String name) throws Exception {
        var dev = server.devTokenResponse(session, name);
        String token = dev.get("token").asText();
        String apiKey = dev.get("apiKey").asText();
        return BrowserPool.open(site.origin() + "/?session=" + session + "&apiKey=" + apiKey
                + "&token=" + encode(token) + "&ws=" + encode(server.webSocketUrl()));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
