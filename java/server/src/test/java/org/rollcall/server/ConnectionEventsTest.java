package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConnectionEventsTest {
    private static final Duration WAIT = TestClient.TIMEOUT;
    private static Fixture fixture;

    @BeforeAll
    static void start() {
        fixture = new Fixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static Predicate<JsonNode> created(String id) {
        return e -> e.path("type").asText().equals("connectionCreated") && e.path("connection").path("id").asText().equals(id);
    }

    static Predicate<JsonNode> destroyed(String id) {
        return e -> e.path("type").asText().equals("connectionDestroyed") && e.path("connection").path("id").asText().equals(id);
    }

    @Test
    void connectedCarriesOwnConnectionSettingsAndTheRoster() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "name=ann");
        TestClient bob = fixture.join(session, "name=bob");

        JsonNode first = ann.connected();
        assertEquals(false, first.path("resumed").asBoolean(true));
        assertEquals(session, first.path("sessionId").asText());
        assertEquals("name=ann", first.path("connection").path("data").asText());
        assertTrue(Math.abs(first.path("connection").path("creationTime").asLong() - System.currentTimeMillis()) < 60_000);
        assertFalse(first.path("resumeToken").asText().isEmpty());
        assertEquals(0, first.path("seq").asLong());
        assertEquals(0, first.path("connections").size());
        assertEquals(500, first.path("heartbeat").path("intervalMs").asLong());
        assertEquals(3000, first.path("heartbeat").path("timeoutMs").asLong());
        assertEquals(300, first.path("grace").path("closedMs").asLong());
        assertEquals(300, first.path("grace").path("silentMs").asLong());

        JsonNode second = bob.connected();
        assertEquals(1, second.path("seq").asLong());
        assertEquals(List.of(ann.id()), ids(second.path("connections")));
        assertEquals(first.path("connection"), second.path("connections").get(0));
        assertNotEquals(ann.id(), bob.id());

        JsonNode bobJoined = ann.awaitEvent(created(bob.id()), WAIT);
        assertEquals(1, bobJoined.path("seq").asLong());
        assertEquals(second.path("connection"), bobJoined.path("connection"));
    }

    @Test
    void gracefulCloseIsClientDisconnectedAtOnce() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");

        long start = System.nanoTime();
        bob.close();
        JsonNode left = ann.awaitEvent(destroyed(bob.id()), WAIT);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals("clientDisconnected", left.path("reason").asText());
        assertEquals(2, left.path("seq").asLong());
        assertTrue(elapsedMs < 1000, "clientDisconnected took " + elapsedMs + " ms"); // not a grace: see the reason
    }

    @Test
    void socketClosedWithoutCloseFrameIsNetworkDisconnectedAfterTheShortGrace() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");

        long start = System.nanoTime();
        bob.abort();
        JsonNode left = ann.awaitEvent(destroyed(bob.id()), WAIT);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals("networkDisconnected", left.path("reason").asText());
        assertTrue(elapsedMs >= 280 && elapsedMs < 2000, "networkDisconnected after " + elapsedMs + " ms, grace 300");
    }

    @Test
    void forceDisconnectTellsTheClientAndTheOthers() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");

        var response = fixture.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                fixture.server.url() + "/v1/admin/sessions/" + session + "/connections/" + bob.id())).DELETE(),
                "Authorization", HttpApiTest.basic(Fixture.APP));
        assertEquals(204, response.statusCode());

        JsonNode notice = bob.awaitMessage(m -> m.path("type").asText().equals("disconnected"), WAIT);
        assertEquals("forceDisconnected", notice.path("reason").asText());
        assertEquals(1000, bob.awaitClose());
        assertEquals("forceDisconnected", ann.awaitEvent(destroyed(bob.id()), WAIT).path("reason").asText());
    }

    @Test
    void noEventIsAboutTheReceiverItself() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");
        TestClient cy = fixture.join(session, "cy");
        cy.close();
        ann.awaitEvent(destroyed(cy.id()), WAIT);
        bob.awaitEvent(destroyed(cy.id()), WAIT);

        for (TestClient client : List.of(ann, bob)) {
            for (JsonNode event : client.events()) {
                assertNotEquals(client.id(), event.path("connection").path("id").asText(), event.toString());
            }
        }
    }

    @Test
    void everyMemberSeesTheSameEventsInTheSameOrder() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");
        TestClient last = null;
        for (int i = 0; i < 5; i++) {
            TestClient other = fixture.join(session, "x" + i);
            other.close();
            last = other;
        }
        ann.awaitEvent(destroyed(last.id()), WAIT);
        bob.awaitEvent(destroyed(last.id()), WAIT);

        List<JsonNode> annEvents = ann.events();
        List<JsonNode> bobEvents = bob.events();
        assertEquals(annEvents.subList(1, annEvents.size()), bobEvents); // ann also saw bob join
        long previous = ann.connected().path("seq").asLong();
        for (JsonNode event : annEvents) {
            assertEquals(previous + 1, event.path("seq").asLong(), "seq has no gap for a member present throughout");
            previous = event.path("seq").asLong();
        }
    }

    @Test
    void suppressedClientGetsItsOwnStateOnlyButOthersSeeIt() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient quiet = fixture.open();
        quiet.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "quiet"), true));
        JsonNode connected = quiet.awaitConnected();
        assertEquals(0, connected.path("connections").size());
        assertEquals(1, connected.path("seq").asLong());
        ann.awaitEvent(created(quiet.id()), WAIT);

        TestClient bob = fixture.join(session, "bob");
        bob.close();
        ann.awaitEvent(destroyed(bob.id()), WAIT);
        quiet.send("{\"type\":\"ping\"}");
        quiet.awaitMessage(m -> m.path("type").asText().equals("pong"), WAIT); // frames before it were sent
        assertEquals(List.of(), quiet.events());

        quiet.close();
        assertEquals("clientDisconnected", ann.awaitEvent(destroyed(quiet.id()), WAIT).path("reason").asText());
    }

    @Test
    void jsonPingIsAnsweredWithPong() {
        TestClient ann = fixture.join(Fixture.newSession(), "ann");
        ann.send("{\"type\":\"ping\"}");
        ann.awaitMessage(m -> m.path("type").asText().equals("pong"), WAIT);
    }

    @Test
    void sessionsOfTheSameNameInTwoAppsAreApart() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        String otherToken = new org.rollcall.token.TokenGenerator(Fixture.OTHER_APP.apiKey(), Fixture.OTHER_APP.secret())
                .generate(session);
        TestClient stranger = fixture.track(TestClient.connect(fixture.ws, Fixture.OTHER_APP.apiKey(), session, otherToken));
        assertEquals(0, stranger.connected().path("connections").size());
        TestClient bob = fixture.join(session, "bob");
        ann.awaitEvent(created(bob.id()), WAIT);
        assertFalse(ann.events().stream().anyMatch(created(stranger.id())));
    }

    static List<String> ids(JsonNode connections) {
        List<String> ids = new java.util.ArrayList<>();
        connections.forEach(c -> ids.add(c.path("id").asText()));
        return ids;
    }
}
