package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A roster waiting for its joiner to read is held as a list of the members, and counts against the
 * node's outbound budget as that much memory, not as the size its encoding will have. In a join
 * storm of 5000 every joiner waits with hundreds of kilobytes of roster to read: counted at their
 * encoded size they spent a 512 MB budget that no memory filled, so the node refused new
 * connections and dropped members that were only behind (1503), and the storm became a reconnect
 * storm. Failed on the old server: the joiner below was refused with 1023.
 */
class RosterBudgetTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MEMBERS = 64;

    @Test
    void aRosterThatWaitsForItsReaderDoesNotSpendTheBudgetOnItsEncoding() throws Exception {
        // The members' roster (~380 KB) is more than Netty's high-water mark (256 KB) takes at once,
        // and the rest, ~120 KB, more than the whole budget.
        ServerConfig config = Fixture.fastConfig().outboundBudgetBytes(64 * 1024).drainTimeoutMs(60_000)
                .sendBufferBytes(8192).build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = joinWithBigRoster(fixture, session);
            try (RawWebSocket behind = RawWebSocket.open(fixture.port(), 4096)) {
                behind.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "behind")));
                observer.awaitMessage(m -> isCreated(m, "behind"), WAIT);

                TestClient next = fixture.open();
                next.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "next"), false));
                JsonNode answer = next.awaitMessage(m -> m.path("type").asText().matches("connected|error"), WAIT);
                assertEquals("connected", answer.path("type").asText(), answer::toString);
                observer.awaitMessage(m -> isCreated(m, "next"), WAIT);
                // The one behind got that event while not writable: it is still a member.
                JsonNode leave = observer.events().stream()
                        .filter(e -> e.path("type").asText().equals("connectionDestroyed")).findFirst().orElse(null);
                assertEquals(null, leave, "a member left: " + leave);
            }
        }
    }

    /**
     * A member removed while its roster is partly written gets a close frame that says why, and no
     * {@code disconnected} message: a text frame between two fragments of the roster breaks the
     * framing, and a client takes it for a protocol error (libotc reported 2001, "a new message inside
     * a fragmented one", for members dropped in the storm of 5000: errors took the same path). Its
     * resume then gets the tombstone's {@code disconnected}. Failed on the old server.
     */
    @Test
    void aMemberRemovedInsideItsRosterGetsAWellFramedClose() throws Exception {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().sendBufferBytes(8192).build())) {
            String session = Fixture.newSession();
            TestClient observer = joinWithBigRoster(fixture, session);
            try (RawWebSocket behind = RawWebSocket.open(fixture.port(), 4096)) {
                behind.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "behind")));
                String id = idOf(observer.awaitMessage(m -> isCreated(m, "behind"), WAIT), "behind");
                // It has read nothing: Netty holds the roster's first fragments, the rest waits.
                assertEquals(204, ProtocolV2Test.forceDisconnect(fixture, session, id));
                boolean inside = false;
                for (RawWebSocket.Frame frame; (frame = behind.readFrame(10_000)) != null; ) {
                    if (frame.opcode() == RawWebSocket.CLOSE) {
                        assertEquals("forceDisconnected", new String(frame.payload(), 2, frame.payload().length - 2,
                                StandardCharsets.UTF_8), "close reason");
                        return;
                    }
                    if (frame.opcode() == RawWebSocket.TEXT) {
                        assertFalse(inside, "a text frame inside a fragmented message: " + frame.text());
                    }
                    if (frame.opcode() == RawWebSocket.TEXT || frame.opcode() == RawWebSocket.CONTINUATION) {
                        inside = !frame.fin();
                    }
                }
                fail("no close frame");
            }
        }
    }

    /**
     * An observer, then {@link #MEMBERS} members whose roster encodes to ~380 KB (a control character
     * in their data takes 6 bytes in JSON): more than Netty's high-water mark (256 KB) takes at once.
     */
    private static TestClient joinWithBigRoster(Fixture fixture, String session) {
        TestClient observer = fixture.join(session, "observer");
        String data = "\u0001".repeat(990);
        for (int i = 0; i < MEMBERS; i++) {
            fixture.join(session, data + i);
        }
        return observer;
    }

    private static String idOf(JsonNode message, String data) {
        for (JsonNode event : message.path("events")) {
            if (event.path("connection").path("data").asText().equals(data)) {
                return event.path("connection").path("id").asText();
            }
        }
        throw new AssertionError("no " + data + " in " + message);
    }

    private static boolean isCreated(JsonNode message, String data) {
        for (JsonNode event : message.path("events")) {
            if (event.path("type").asText().equals("connectionCreated")
                    && event.path("connection").path("data").asText().equals(data)) {
                return true;
            }
        }
        return false;
    }
}
