package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A clean leave from silent grace, resumes under the connect-rate limit, and a joiner that does not
 * read. Each test failed on the v1 server.
 */
class GapAndLoadTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aFrozenClientsCleanLeaveDuringSilentGraceIsClientDisconnected() throws Exception {
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(100).heartbeatTimeoutMs(300)
                .graceSilentMs(5_000).build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            try (RawWebSocket frozen = RawWebSocket.open(fixture.port())) {
                String token = fixture.token(session, "frozen");
                frozen.sendText(ProtocolV2Test.connectV2(session, token));
                String id = JSON.readTree(frozen.readText(5000)).path("connection").path("id").asText();
                observer.awaitEvent(ProtocolV2Test.event("connectionCreated", id), WAIT);
                // Frozen: reads nothing, answers nothing, until the server has surely found it silent.
                awaitAdminSilence(fixture, config);
                frozen.sendFrame(RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xe8}); // thawed: leaves cleanly

                JsonNode left = observer.awaitEvent(ProtocolV2Test.event("connectionDestroyed", id), WAIT);
                assertEquals("clientDisconnected", left.path("reason").asText());

                TestClient again = fixture.open();
                again.send(ProtocolV2Test.connectV2(session, token));
                JsonNode connected = again.awaitConnected();
                for (JsonNode peer : connected.path("connections")) {
                    assertFalse(peer.path("id").asText().equals(id), "its own old ID is in its new roster");
                }
            }
        }
    }

    @Test
    void aFrozenClientThatThawsWithinItsGraceGoesOnOnTheSameSocketWithWhatItMissed() throws Exception {
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(100).heartbeatTimeoutMs(300)
                .graceSilentMs(5_000).build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            try (RawWebSocket frozen = RawWebSocket.open(fixture.port())) {
                frozen.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "frozen")));
                String id = JSON.readTree(frozen.readText(5000)).path("connection").path("id").asText();
                observer.awaitEvent(ProtocolV2Test.event("connectionCreated", id), WAIT);
                awaitAdminSilence(fixture, config); // frozen: the server has found it silent
                TestClient carl = fixture.join(session, "carl"); // while it is away

                // Thawed: it reads what waited, answering the pings, and goes on on the same socket.
                assertTrue(awaitEventOn(frozen, "connectionCreated", carl.id()), "carl's join, replayed");
                TestClient dana = fixture.join(session, "dana");
                assertTrue(awaitEventOn(frozen, "connectionCreated", dana.id()), "dana's join, live");
                assertFalse(observer.events().stream().anyMatch(ProtocolV2Test.event("connectionDestroyed", id)),
                        "the others saw the frozen client leave");
            }
        }
    }

    /** Reads the raw socket's frames (answering pings) until an event of this type about this ID. */
    private static boolean awaitEventOn(RawWebSocket socket, String type, String id) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = socket.readText(1000);
            if (text == null) {
                continue;
            }
            for (JsonNode event : JSON.readTree(text).path("events")) {
                if (ProtocolV2Test.event(type, id).test(event)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Waits past the heartbeat timeout and a few wheel ticks, which is when the server calls a socket silent. */
    private static void awaitAdminSilence(Fixture fixture, ServerConfig config) throws InterruptedException {
        Thread.sleep(config.heartbeatTimeoutMs() + 4 * config.heartbeatIntervalMs());
    }

    @Test
    void aMassReconnectUnderTheConnectRateLimitResumesEveryClientWithItsOldId() {
        int clients = 20;
        ServerConfig config = Fixture.fastConfig().graceClosedMs(10_000).connectRate(0.01).connectBurst(clients + 1)
                .build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = ProtocolV2Test.joinV2(fixture, session, "observer");
            List<TestClient> members = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                members.add(ProtocolV2Test.joinV2(fixture, session, "m" + i));
            }
            members.forEach(TestClient::abort); // a server-side blip: every link cut at once

            for (TestClient old : members) {
                TestClient back = fixture.track(ProtocolV2Test.resumeV2(fixture, old, session));
                JsonNode connected = back.awaitConnected();
                assertEquals(old.id(), connected.path("connection").path("id").asText());
            }
            assertFalse(observer.events().stream().anyMatch(e -> e.path("type").asText().equals("connectionDestroyed")));
        }
    }

    @Test
    void joinersThatDoNotReadAreDroppedWith1503WithinTheOutboundBudget() throws Exception {
        long budget = 2L * 1024 * 1024;
        ServerConfig config = Fixture.fastConfig().outboundBudgetBytes(budget).drainTimeoutMs(60_000)
                .sendBufferBytes(8192).build(); // the default per-socket backlog (8 MiB) alone would let them grow
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            List<RawWebSocket> deaf = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    RawWebSocket socket = RawWebSocket.open(fixture.port(), 4096);
                    socket.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "deaf" + i)));
                    deaf.add(socket);
                }
                String data = "x".repeat(900);
                long peakGrowth = 0;
                for (int i = 0; i < 3000 && droppedPeers(observer) < deaf.size(); i++) {
                    churn(fixture, session, data + i);
                    for (RawWebSocket socket : deaf) {
                        socket.sendFrame(RawWebSocket.PING, new byte[0]); // never reads, but is heard
                    }
                    peakGrowth = Math.max(peakGrowth, PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore);
                }
                assertEquals(deaf.size(), droppedPeers(observer), "deaf joiners dropped");
                assertTrue(peakGrowth < budget + 4L * 1024 * 1024, "direct memory grew by " + peakGrowth);
                for (RawWebSocket socket : deaf) {
                    assertTrue(socket.awaitServerClose(5000));
                }
            } finally {
                for (RawWebSocket socket : deaf) {
                    socket.close();
                }
            }
        }
    }

    /**
     * A member that reads its backlog slowly and answers no ping (a storm's client: its pongs wait
     * behind the events it has not read) is alive while it reads: it is not taken for silent, and
     * it gets every event, the last one too.
     */
    @Test
    void aSlowReaderThatKeepsReadingIsNotTakenForSilent() throws Exception {
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(200).heartbeatTimeoutMs(1000)
                .sendBufferBytes(4096).build();
        try (Fixture fixture = new Fixture(config); RawWebSocket slow = RawWebSocket.open(fixture.port(), 4096)) {
            String session = Fixture.newSession();
            slow.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "slow")));
            CompletableFuture<String> reading = CompletableFuture.supplyAsync(() -> readSlowlyUntil(slow, "the-end"));
            String data = "x".repeat(900);
            for (int i = 0; i < 150; i++) { // 300 KB of events for it, faster than it reads: seconds of reading
                churn(fixture, session, data + i);
            }
            fixture.join(session, "the-end");
            assertEquals("the-end", reading.get(60, TimeUnit.SECONDS));
        }
    }

    /** Reads frame by frame, a little at a time, answering nothing; what ended the reading. */
    private static String readSlowlyUntil(RawWebSocket socket, String marker) {
        try {
            while (true) {
                RawWebSocket.Frame frame = socket.readFrame(10_000);
                if (frame == null || frame.opcode() == RawWebSocket.CLOSE) {
                    return "the server closed the socket";
                }
                if (frame.opcode() == RawWebSocket.TEXT && frame.text().contains("\"error\"")) {
                    return frame.text();
                }
                if (frame.opcode() == RawWebSocket.TEXT && frame.text().contains(marker)) {
                    return marker;
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            return e.toString();
        }
    }

    /**
     * A member that joins and leaves. While the budget is spent, new connections are refused (1023)
     * until the deaf are dropped: such a refusal is expected here, and the churn goes on.
     */
    private static void churn(Fixture fixture, String session, String data) {
        TestClient client = fixture.open();
        client.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, data), false));
        JsonNode answer = client.awaitMessage(m -> m.path("type").asText().matches("connected|error"), WAIT);
        if (answer.path("type").asText().equals("error")) {
            assertEquals(1023, answer.path("code").asInt(), answer::toString);
        }
        client.close();
    }

    /** How many peers left as networkDisconnected (the server's drop). */
    private static int droppedPeers(TestClient observer) {
        int dropped = 0;
        for (JsonNode e : observer.events()) {
            if (e.path("type").asText().equals("connectionDestroyed")
                    && e.path("reason").asText().equals("networkDisconnected")) {
                dropped++;
            }
        }
        return dropped;
    }
}
