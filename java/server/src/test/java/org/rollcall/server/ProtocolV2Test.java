package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Protocol v2's promises across a gap in a client's connection: resume replays what it missed with
 * the true reasons, a force-disconnect sticks, a clean leave is clean even from silent grace, and
 * a session's position never goes backwards. Each test failed on the v1 server.
 */
class ProtocolV2Test {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A long closed-socket grace, so that a test can do things while a client is away. */
    private static final Fixture fixture = new Fixture(Fixture.fastConfig().graceClosedMs(10_000).build());

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static String connectV2(String session, String token) {
        return JSON.createObjectNode().put("type", "connect").put("protocol", 2).put("apiKey", Fixture.APP.apiKey())
                .put("sessionId", session).put("token", token).toString();
    }

    static TestClient joinV2(Fixture fixture, String session, String data) {
        TestClient client = fixture.open();
        client.send(connectV2(session, fixture.token(session, data)));
        client.awaitConnected();
        return client;
    }

    /** Resumes {@code old}'s connection on a new socket from the last seq it applied. */
    static TestClient resumeV2(Fixture fixture, TestClient old, String session) {
        JsonNode connected = old.connected();
        long lastSeq = connected.path("seq").asLong();
        for (JsonNode event : old.events()) {
            lastSeq = Math.max(lastSeq, event.path("seq").asLong());
        }
        TestClient client = fixture.open();
        client.send(JSON.createObjectNode().put("type", "resume").put("protocol", 2)
                .put("apiKey", Fixture.APP.apiKey()).put("sessionId", session).put("connectionId", old.id())
                .put("resumeToken", connected.path("resumeToken").asText())
                .put("epoch", connected.path("epoch").asLong()).put("lastSeq", lastSeq).toString());
        return client;
    }

    static Predicate<JsonNode> event(String type, String id) {
        return e -> e.path("type").asText().equals(type) && e.path("connection").path("id").asText().equals(id);
    }

    static int forceDisconnect(Fixture fixture, String session, String connectionId) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/v1/admin/sessions/" + session
                        + "/connections/" + connectionId)).DELETE(),
                "Authorization", HttpApiTest.basic(Fixture.APP)).statusCode();
    }

    @Test
    void connectedSaysWhichProtocolAndEpoch() {
        String session = Fixture.newSession();
        TestClient v2 = joinV2(fixture, session, "v2");
        TestClient v1 = fixture.join(session, "v1");
        assertEquals(2, v2.connected().path("protocol").asInt());
        assertEquals(1, v1.connected().path("protocol").asInt());
        assertEquals(v2.connected().path("epoch").asLong(), v1.connected().path("epoch").asLong());
        assertTrue(v2.connected().path("epoch").asLong() > 0);
    }

    @Test
    void resumeReplaysWhatHappenedInTheGapWithTrueReasons() {
        String session = Fixture.newSession();
        TestClient ann = joinV2(fixture, session, "ann");
        TestClient bob = joinV2(fixture, session, "bob");
        ann.awaitEvent(event("connectionCreated", bob.id()), WAIT);
        ann.abort(); // a cut link: no close frame; ann is in grace

        TestClient watcher = joinV2(fixture, session, "watcher");
        bob.close(); // a clean leave while ann is away
        TestClient carl = joinV2(fixture, session, "carl");
        carl.close(); // joined and left within the gap
        watcher.awaitEvent(event("connectionDestroyed", carl.id()), WAIT);

        TestClient back = fixture.track(resumeV2(fixture, ann, session));
        JsonNode connected = back.awaitConnected();
        assertTrue(connected.path("replay").asBoolean(), connected::toString);
        assertEquals(ann.id(), connected.path("connection").path("id").asText());

        JsonNode carlLeft = back.awaitEvent(event("connectionDestroyed", carl.id()), WAIT);
        List<String> seen = new ArrayList<>();
        for (JsonNode e : back.events()) {
            seen.add(e.path("type").asText() + " " + e.path("connection").path("id").asText() + " "
                    + e.path("reason").asText(""));
        }
        assertEquals(List.of(
                "connectionCreated " + watcher.id() + " ",
                "connectionDestroyed " + bob.id() + " clientDisconnected",
                "connectionCreated " + carl.id() + " ",
                "connectionDestroyed " + carl.id() + " clientDisconnected"), seen);
        assertEquals("clientDisconnected", carlLeft.path("reason").asText());
    }

    @Test
    void forceDisconnectSticksAcrossResumeAndReconnect() {
        String session = Fixture.newSession();
        String token = fixture.token(session, "ann");
        TestClient observer = joinV2(fixture, session, "observer");
        TestClient ann = fixture.open();
        ann.send(connectV2(session, token));
        ann.awaitConnected();
        ann.abort(); // in grace
        assertEquals(204, forceDisconnect(fixture, session, ann.id()));
        assertEquals("forceDisconnected",
                observer.awaitEvent(event("connectionDestroyed", ann.id()), WAIT).path("reason").asText());

        TestClient resumed = fixture.track(resumeV2(fixture, ann, session));
        JsonNode answer = resumed.awaitMessage(m -> !m.path("type").asText().equals("events"), WAIT);
        assertEquals("disconnected", answer.path("type").asText(), answer::toString);
        assertEquals("forceDisconnected", answer.path("reason").asText());

        TestClient again = fixture.open();
        again.send(connectV2(session, token));
        assertEquals(1004, again.awaitError().path("code").asInt());
        assertFalse(observer.events().stream().anyMatch(e -> e.path("type").asText().equals("connectionCreated")
                && !e.path("connection").path("id").asText().equals(ann.id())));
    }

    @Test
    void epochAndSeqNeverGoBackwardsWhenASessionEmptiesAndRefills() {
        String session = Fixture.newSession();
        TestClient first = joinV2(fixture, session, "first");
        long epoch = first.connected().path("epoch").asLong();
        long seq = first.connected().path("seq").asLong();
        first.close();
        first.awaitClose();
        TestClient second = joinV2(fixture, session, "second");
        long epoch2 = second.connected().path("epoch").asLong();
        long seq2 = second.connected().path("seq").asLong();
        assertTrue(epoch2 > epoch || epoch2 == epoch && seq2 > seq,
                "(" + epoch + "," + seq + ") then (" + epoch2 + "," + seq2 + ")");
    }
}
