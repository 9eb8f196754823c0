package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A session's events frame is encoded once and shared by its members, so members that wait for the
 * same frames hold its memory once, and the node's outbound budget counts it once. Counted once per
 * waiting member, a join storm of 5000 whose clients were behind spent the 512 MB budget on memory
 * never held: the node dropped members that were only behind (1503) and they rejoined with full
 * rosters, a reconnect storm. Failed on the old server: the members below were dropped with 1503.
 */
class SharedFrameBudgetTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int BEHIND = 8;
    private static final int CYCLES = 40;

    @Test
    void membersBehindOnTheSameFramesSpendTheBudgetOnce() throws Exception {
        // Each join and leave below is ~6 KB to every member (a control character takes 6 bytes in
        // JSON): 40 of each, ~480 KB. A member that reads nothing holds ~270 KB of it in Netty's
        // buffer and the kernel's, and ~210 KB in its backlog: 8 of them ~1.7 MB counted per member,
        // ~210 KB counted once, against a budget of 512 KB. Heartbeats are slow: they read nothing.
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(20_000).heartbeatTimeoutMs(60_000)
                .outboundBudgetBytes(512 * 1024).drainTimeoutMs(60_000).sendBufferBytes(8192).build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            List<RawWebSocket> behind = new ArrayList<>();
            try {
                for (int i = 0; i < BEHIND; i++) {
                    RawWebSocket socket = RawWebSocket.open(fixture.port(), 4096);
                    behind.add(socket);
                    socket.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "behind" + i)));
                    String data = "behind" + i;
                    observer.awaitMessage(m -> has(m, "connectionCreated", data), WAIT);
                }
                String big = "\u0001".repeat(990);
                for (int i = 0; i < CYCLES; i++) {
                    TestClient passing = fixture.join(session, big + i);
                    passing.close();
                    String data = big + i;
                    observer.awaitMessage(m -> has(m, "connectionDestroyed", data), WAIT);
                }
                JsonNode marker = fixture.join(session, "marker").awaitConnected();
                assertNotNull(marker);
                // Each member that was behind reads its way to the marker's arrival: it is still in.
                for (RawWebSocket socket : behind) {
                    assertReaches(socket, "marker");
                }
            } finally {
                for (RawWebSocket socket : behind) {
                    socket.close();
                }
            }
        }
    }

    /** Reads the socket's frames until one announces {@code data}; a close frame on the way fails. */
    private static void assertReaches(RawWebSocket socket, String data) throws Exception {
        for (RawWebSocket.Frame next; (next = socket.readFrame(10_000)) != null; ) {
            RawWebSocket.Frame frame = next;
            assertNotEquals(RawWebSocket.CLOSE, frame.opcode(), () -> "closed: " + closeText(frame));
            if (frame.opcode() == RawWebSocket.TEXT && frame.text().contains("\"" + data + "\"")) {
                return;
            }
        }
        throw new AssertionError("the socket ended before " + data);
    }

    private static String closeText(RawWebSocket.Frame frame) {
        byte[] p = frame.payload();
        return p.length < 2 ? "no status" : ((p[0] & 0xff) << 8 | (p[1] & 0xff)) + " "
                + new String(p, 2, p.length - 2, StandardCharsets.UTF_8);
    }

    private static boolean has(JsonNode message, String type, String data) {
        for (JsonNode event : message.path("events")) {
            if (event.path("type").asText().equals(type) && event.path("connection").path("data").asText().equals(data)) {
                return true;
            }
        }
        return false;
    }
}
