package org.rollcall.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;

/** The roster page and rollcall.js in real Chromium against the real server. */
class RosterPageTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(true);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void leavePages() {
        BrowserPool.releaseAll();
    }

    @Test
    void twoPagesSeeEachOtherExactlyOnce() {
        String session = newSession();
        RosterPage ann = join(session, "Ann");
        String annId = ann.awaitConnected();
        RosterPage bob = join(session, "Bob");
        String bobId = bob.awaitConnected();

        ann.awaitCount(2);
        bob.awaitCount(2);
        assertEquals(List.of(annId, bobId), ann.rosterIds(), "Ann's roster in joining order");
        assertEquals(List.of(annId, bobId), bob.rosterIds(), "Bob's roster in joining order");
        // Cid's join is a later event: once both see it, no duplicate can still be on its way.
        String cidId = join(session, "Cid").awaitConnected();
        ann.awaitLogEntry("created", cidId);
        bob.awaitLogEntry("created", cidId);
        // Each page announces itself and the other once: Bob learns of Ann from the roster on connect.
        for (RosterPage page : List.of(ann, bob)) {
            assertEquals(1, page.logEntries("created", annId).size(), page.logText());
            assertEquals(1, page.logEntries("created", bobId).size(), page.logText());
            assertEquals(3, page.logEntries("created").size(), page.logText());
            assertTrue(page.logEntries("destroyed").isEmpty(), page.logText());
        }
    }

    @Test
    void leavingIsSeenOnceAsClientDisconnected() {
        String session = newSession();
        RosterPage ann = join(session, "Ann");
        String annId = ann.awaitConnected();
        RosterPage bob = join(session, "Bob");
        String bobId = bob.awaitConnected();
        ann.awaitCount(2);

        bob.leave();
        bob.awaitDisconnected();
        assertEquals("clientDisconnected",
                bob.logEntries("disconnected").get(0).getAttribute("data-reason"), bob.logText());
        assertEquals(0, bob.count(), "a page that left shows nobody");

        String reason = ann.awaitLogEntry("destroyed", bobId).getAttribute("data-reason");
        assertEquals("clientDisconnected", reason, ann.logText());
        ann.awaitCount(1);
        assertEquals(List.of(annId), ann.rosterIds());

        // A third member's join is a later event: once Ann sees it, Bob's leave cannot still be pending.
        RosterPage cid = join(session, "Cid");
        String cidId = cid.awaitConnected();
        ann.awaitLogEntry("created", cidId);
        assertEquals(1, ann.logEntries("destroyed", bobId).size(), ann.logText());
        assertEquals(1, ann.logEntries("created", bobId).size(), ann.logText());
        assertEquals(List.of(annId), cid.rosterIds().subList(0, 1), "Cid does not see Bob");
        cid.awaitCount(2);
    }

    @Test
    void forgedTokenShowsAuthorizationError() throws Exception {
        String session = newSession();
        String token = server.devToken(session, "Mallory");
        String forged = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        RosterPage page = open("/?session=" + session + "&name=Mallory&autojoin=1&token=" + encode(forged));

        String[] error = page.awaitError();
        assertEquals("1004", error[0]);
        assertTrue(error[1].contains("1004"), error[1]);
        assertEquals("disconnected", page.state());
        assertEquals(0, page.count());
    }

    @Test
    void garbageTokenShowsAuthorizationError() throws Exception {
        String session = newSession();
        String apiKey = server.devTokenResponse(session, "Eve").get("apiKey").asText();
        RosterPage page = open("/?session=" + session + "&name=Eve&autojoin=1&token=not-a-token&apiKey=" + apiKey);

        String[] error = page.awaitError();
        assertEquals("1004", error[0], error[1]);
        assertEquals("disconnected", page.state());
    }

    @Test
    void devTokensOffShowsWhy() throws Exception {
        try (TestServer plain = TestServer.start(false)) {
            RosterPage page = open(plain, "/?session=" + newSession() + "&name=Ann&autojoin=1");
            String[] error = page.awaitError();
            assertEquals("404", error[0]);
            assertTrue(error[1].contains("dev"), error[1]);
        }
    }

    @Test
    void screenshotOfARosterWithThreeMembers() throws IOException {
        String session = "standup";
        RosterPage ann = join(session, "Ann");
        ann.awaitConnected();
        join(session, "Bob").awaitConnected();
        join(session, "Cid").awaitConnected();
        ann.awaitCount(3);

        Path dir = Path.of(System.getProperty("rollcall.screenshotDir", "target/screenshots"));
        Files.createDirectories(dir);
        Path file = Files.write(dir.resolve("roster.png"), ann.screenshot());

        byte[] png = Files.readAllBytes(file);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(png, PNG_SIGNATURE.length), file + " is a PNG");
        ByteBuffer header = ByteBuffer.wrap(png, PNG_SIGNATURE.length, 16);
        assertEquals(13, header.getInt(), "IHDR comes first");
        assertEquals("IHDR", new String(png, PNG_SIGNATURE.length + 4, 4, StandardCharsets.US_ASCII));
        header.getInt();
        int width = header.getInt();
        int height = header.getInt();
        assertTrue(width >= 300 && height >= 300, "the whole viewport: " + width + "x" + height);
        // Blank, a page this size compresses to a few kilobytes; the roster's text makes it larger.
        assertTrue(png.length > 10_000 && png.length < 300_000, "a small but non-trivial PNG: " + png.length + " bytes");
    }

    @Test
    void leaveIsDisabledWhileTheTokenIsFetched() {
        RosterPage page = open("/?session=" + newSession() + "&name=Ann");
        JavascriptExecutor js = (JavascriptExecutor) page.driver();
        // Holds the page's token request until the test lets it go.
        js.executeScript("const real = window.fetch; window.releaseToken = null;"
                + "window.fetch = (...args) => new Promise(resolve => { window.releaseToken = () => resolve(real(...args)); });");
        page.driver().findElement(By.id("join")).click();
        page.waitUntil("the token request", () -> Boolean.TRUE.equals(js.executeScript("return window.releaseToken !== null;")));
        assertFalse(page.driver().findElement(By.id("leave")).isEnabled(), "Leave while there is nothing to leave");
        js.executeScript("window.releaseToken();");
        page.awaitConnected();
        assertTrue(page.driver().findElement(By.id("leave")).isEnabled());
    }

    @Test
    void aJoinStormIsAnnouncedAsOneSummary() throws Exception {
        String session = newSession();
        RosterPage ann = join(session, "Ann");
        ann.awaitConnected();
        JavascriptExecutor js = (JavascriptExecutor) ann.driver();
        js.executeScript("window.announcements = [];"
                + "new MutationObserver(() => announcements.push(document.getElementById('announce').textContent))"
                + ".observe(document.getElementById('announce'), {childList: true, characterData: true, subtree: true});");
        // Eight members join at once, as in a storm.
        List<java.util.concurrent.CompletableFuture<JavaClient>> joins = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = "storm-" + i;
            joins.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return JavaClient.join(server, session, name);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        try {
            ann.awaitCount(9);
            ann.waitUntil("an announcement", () -> ((List<?>) js.executeScript("return announcements;")).size() > 0);
            Thread.sleep(1500); // longer than the page's quiet time: a per-join announcement would still come
            List<?> said = (List<?>) js.executeScript("return announcements;");
            assertTrue(said.size() <= 3, "a storm of 8 joins was announced " + said.size() + " times: " + said);
            assertTrue(String.valueOf(said.get(said.size() - 1)).endsWith("9 people in the session."), String.valueOf(said));
        } finally {
            joins.forEach(join -> join.thenAccept(JavaClient::close).join());
        }
    }

    @Test
    void rosterPageHasNoAccessibilityViolations() throws Exception {
        String session = newSession();
        RosterPage ann = join(session, "Ann");
        ann.awaitConnected();
        join(session, "Bob").awaitConnected();
        ann.awaitCount(2);
        assertEquals(List.of(), Axe.violations(ann.driver()));
    }

    private RosterPage join(String session, String name) {
        return open("/?session=" + session + "&name=" + encode(name) + "&autojoin=1");
    }

    private RosterPage open(String pathAndQuery) {
        return open(server, pathAndQuery);
    }

    private RosterPage open(TestServer target, String pathAndQuery) {
        return BrowserPool.open(target.baseUrl() + pathAndQuery);
    }

    private static String newSession() {
        return "e2e-" + UUID.randomUUID();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
