package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.server.ConnectionEventsTest.created;
import static org.rollcall.server.ConnectionEventsTest.destroyed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HeartbeatAndResumeTest {
    private static final Duration WAIT = TestClient.TIMEOUT;
    private static final long GRACE_MS = 800;
    private static Fixture fixture;

    @BeforeAll
    static void start() {
        fixture = new Fixture(Fixture.fastConfig().graceClosedMs(GRACE_MS).build());
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static TestClient resume(TestClient old, String session) {
        TestClient client = fixture.open();
        JsonNode connected = old.connected();
        client.send(TestClient.resumeFrame(Fixture.APP.apiKey(), session, old.id(),
                connected.path("resumeToken").asText(), connected.path("seq").asLong()));
        return client;
    }

    @Test
    void silentPeerIsReportedAfterHeartbeatTimeoutPlusSilentGrace() throws Exception {
        long intervalMs = 100;
        long timeoutMs = 400;
        long silentMs = 300;
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(intervalMs).heartbeatTimeoutMs(timeoutMs)
                .graceSilentMs(silentMs).build();
        try (Fixture fast = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = fast.join(session, "observer");
            try (RawWebSocket silent = RawWebSocket.open(fast.port())) {
                silent.sendText(TestClient.connectFrame(Fixture.APP.apiKey(), session, fast.token(session, "silent"), false));
                String id = new ObjectMapper().readTree(silent.readText(5000)).path("connection").path("id").asText();
                observer.awaitEvent(created(id), WAIT);
                long silentSince = System.nanoTime(); // from now on it neither reads nor answers pings

                JsonNode left = observer.awaitEvent(destroyed(id), WAIT);
                long elapsedMs = (System.nanoTime() - silentSince) / 1_000_000;

                assertEquals("networkDisconnected", left.path("reason").asText());
                assertTrue(elapsedMs >= timeoutMs + silentMs - 50 && elapsedMs < timeoutMs + silentMs + 1000,
                        "reported after " + elapsedMs + " ms; expected about " + (timeoutMs + silentMs));
                System.out.printf("silent peer reported after %d ms (timeout %d + grace %d)%n", elapsedMs, timeoutMs, silentMs);
                assertFalse(observer.isClosed());
            }
        }
    }

    @Test
    void clientThatAnswersPingsStaysConnected() throws Exception {
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(100).heartbeatTimeoutMs(800).build();
        try (Fixture fast = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient ann = fast.join(session, "ann");
            TestClient bob = fast.join(session, "bob");
            Thread.sleep(2000); // an absence: over two timeouts without a departure
            assertFalse(ann.events().stream().anyMatch(destroyed(bob.id())));
            assertFalse(bob.isClosed());
        }
    }

    @Test
    void resumeWithinGraceKeepsTheIdAndOthersSeeNothing() throws Exception {
        String session = Fixture.newSession();
        TestClient observer = fixture.join(session, "observer");
        TestClient ann = fixture.join(session, "ann");
        observer.awaitEvent(created(ann.id()), WAIT);

        long lostAt = System.nanoTime();
        ann.abort();
        TestClient bob = fixture.join(session, "bob"); // joins while ann is away
        TestClient resumed = resume(ann, session);
        JsonNode connected = resumed.awaitConnected();

        assertTrue(connected.path("resumed").asBoolean());
        assertEquals(ann.id(), connected.path("connection").path("id").asText());
        assertEquals(ann.connected().path("connection"), connected.path("connection"));
        assertNotEquals(ann.connected().path("resumeToken").asText(), connected.path("resumeToken").asText());
        assertEquals(observer.awaitEvent(created(bob.id()), WAIT).path("seq").asLong(), connected.path("seq").asLong());
        assertEquals(java.util.Set.of(observer.id(), bob.id()),
                java.util.Set.copyOf(ConnectionEventsTest.ids(connected.path("connections"))));

        TestClient cy = fixture.join(session, "cy");
        resumed.awaitEvent(created(cy.id()), WAIT);
        long sinceLostMs = (System.nanoTime() - lostAt) / 1_000_000;
        Thread.sleep(Math.max(0, GRACE_MS + 200 - sinceLostMs)); // an absence: the grace would have ended by now
        assertFalse(observer.events().stream().anyMatch(destroyed(ann.id())), "others saw the blip");

        resumed.close();
        assertEquals("clientDisconnected", observer.awaitEvent(destroyed(ann.id()), WAIT).path("reason").asText());
        assertEquals(1, observer.events().stream().filter(destroyed(ann.id())).count());
    }

    @Test
    void resumeAfterGraceIsRefusedWith1006() {
        String session = Fixture.newSession();
        TestClient observer = fixture.join(session, "observer");
        TestClient ann = fixture.join(session, "ann");
        ann.abort();
        assertEquals("networkDisconnected", observer.awaitEvent(destroyed(ann.id()), WAIT).path("reason").asText());

        TestClient late = resume(ann, session);
        assertEquals(1006, late.awaitError().path("code").asInt());
        assertEquals(1008, late.awaitClose());
    }

    @Test
    void resumeTakesOverASocketThatStillLooksAlive() {
        String session = Fixture.newSession();
        TestClient observer = fixture.join(session, "observer");
        TestClient ann = fixture.join(session, "ann");

        TestClient second = resume(ann, session);
        JsonNode connected = second.awaitConnected();
        assertEquals(ann.id(), connected.path("connection").path("id").asText());
        ann.awaitClose(); // the old socket is dropped
        assertFalse(ann.messages().stream().anyMatch(m -> m.path("type").asText().equals("error")));

        TestClient bob = fixture.join(session, "bob");
        second.awaitEvent(created(bob.id()), WAIT);
        second.close();
        JsonNode left = observer.awaitEvent(destroyed(ann.id()), WAIT);
        assertEquals("clientDisconnected", left.path("reason").asText());
        assertEquals(List.of("connectionCreated", "connectionDestroyed"), observer.events().stream()
                .filter(e -> e.path("connection").path("id").asText().equals(ann.id()))
                .map(e -> e.path("type").asText()).toList(), "nothing about ann but her arrival and departure");
    }

    @Test
    void resumeWithAWrongOrUsedTokenOrElsewhereIsRefused() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        String firstToken = ann.connected().path("resumeToken").asText();
        TestClient second = resume(ann, session);
        second.awaitConnected();

        for (String frame : List.of(
                TestClient.resumeFrame(Fixture.APP.apiKey(), session, ann.id(), "wrong", 0),
                TestClient.resumeFrame(Fixture.APP.apiKey(), session, ann.id(), firstToken, 0),
                TestClient.resumeFrame(Fixture.APP.apiKey(), "other-session", ann.id(), firstToken, 0),
                TestClient.resumeFrame(Fixture.OTHER_APP.apiKey(), session, ann.id(), firstToken, 0),
                TestClient.resumeFrame(Fixture.APP.apiKey(), session, "no-such-id", firstToken, 0))) {
            TestClient attempt = fixture.open();
            attempt.send(frame);
            assertEquals(1006, attempt.awaitError().path("code").asInt(), frame);
        }
        assertFalse(second.isClosed(), "failed attempts leave the connection alone");
    }
}
