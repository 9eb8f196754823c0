package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.server.ConnectionEventsTest.created;
import static org.rollcall.server.ConnectionEventsTest.destroyed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each offender gets an error and is closed; the members of its session notice nothing but, if
 * the offender had joined, its departure.
 */
class BadInputTest {
    private static final Duration WAIT = TestClient.TIMEOUT;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Fixture fixture;
    private String session;
    private TestClient observer;

    @BeforeAll
    static void start() {
        fixture = new Fixture(Fixture.fastConfig().maxFrameBytes(4096).build());
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void joinObserver() {
        session = Fixture.newSession();
        observer = fixture.join(session, "observer");
    }

    /** The observer is still served: it sees a newcomer, and nothing before it but what the test allows. */
    @AfterEach
    void observerIsUnaffected() {
        TestClient newcomer = fixture.join(session, "newcomer");
        observer.awaitEvent(created(newcomer.id()), WAIT);
        assertFalse(observer.isClosed());
    }

    private void assertRefused(int code, int closeStatus, String... frames) {
        TestClient client = fixture.open();
        for (String frame : frames) {
            client.send(frame);
        }
        assertEquals(code, client.awaitError().path("code").asInt());
        assertEquals(closeStatus, client.awaitClose());
        assertEquals(0, observer.events().size(), "observer noticed: " + observer.events());
    }

    private String connect(String data) {
        return TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, data), false);
    }

    @Test
    void malformedJson() {
        assertRefused(1011, 1008, "{\"type\": \"connect\",");
        assertRefused(1011, 1008, "[1, 2]");
        assertRefused(1011, 1008, "\"connect\"");
    }

    @Test
    void unknownTypeOrPingBeforeConnect() {
        assertRefused(1011, 1008, "{\"type\":\"hello\"}");
        assertRefused(1011, 1008, "{\"type\":\"ping\"}");
        assertRefused(1011, 1008, "{\"no\":\"type\"}");
    }

    @Test
    void missingFields() {
        assertRefused(1011, 1008, "{\"type\":\"connect\"}");
        assertRefused(1011, 1008, "{\"type\":\"connect\",\"apiKey\":\"app1\",\"sessionId\":\"x\",\"token\":7}");
        assertRefused(1011, 1008, "{\"type\":\"resume\",\"apiKey\":\"app1\",\"sessionId\":\"x\"}");
    }

    @Test
    void binaryFrame() {
        TestClient client = fixture.open();
        client.sendBinary(new byte[] {1, 2, 3});
        assertEquals(1011, client.awaitError().path("code").asInt());
        assertEquals(1008, client.awaitClose());
    }

    @Test
    void invalidUtf8() throws IOException {
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendFrame(RawWebSocket.TEXT, new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'});
            assertEquals(1011, JSON.readTree(raw.readText(5000)).path("code").asInt());
            assertTrue(raw.awaitServerClose(5000));
        }
    }

    @Test
    void unknownTypeAfterConnectEndsTheConnectionAtOnce() {
        TestClient client = fixture.join(session, "offender");
        observer.awaitEvent(created(client.id()), WAIT);
        client.send("{\"type\":\"subscribe\"}");
        assertEquals(1011, client.awaitError().path("code").asInt());
        assertEquals(1008, client.awaitClose());
        JsonNode left = observer.awaitEvent(destroyed(client.id()), WAIT);
        assertEquals("networkDisconnected", left.path("reason").asText());
    }

    @Test
    void secondConnectIsIllegalState() {
        TestClient client = fixture.join(session, "twice");
        client.send(connect("twice"));
        assertEquals(1015, client.awaitError().path("code").asInt());
        assertEquals("networkDisconnected", observer.awaitEvent(destroyed(client.id()), WAIT).path("reason").asText());
    }

    @Test
    void oversizedFrame() throws IOException {
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendFrame(RawWebSocket.TEXT, "x".repeat(4097).getBytes(StandardCharsets.UTF_8));
            JsonNode error = JSON.readTree(raw.readText(5000));
            assertEquals(1413, error.path("code").asInt());
            RawWebSocket.Frame close = raw.readFrame(5000);
            assertNotNull(close);
            assertEquals(RawWebSocket.CLOSE, close.opcode());
            assertEquals(1009, ((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff));
            assertTrue(raw.awaitServerClose(5000));
        }
        assertEquals(0, observer.events().size());
    }

    @Test
    void frameOfExactlyTheLimitIsAccepted() {
        TestClient client = fixture.join(session, "big");
        String ping = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(4096 - 24) + "\"}";
        assertEquals(4096, ping.length());
        client.send(ping);
        client.awaitMessage(m -> m.path("type").asText().equals("pong"), WAIT);
    }

    @Test
    void floodOfFrames() throws IOException {
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendText(connect("flooder"));
            String id = JSON.readTree(raw.readText(5000)).path("connection").path("id").asText();
            try {
                for (int i = 0; i < 1000; i++) {
                    raw.sendText("{\"type\":\"ping\"}");
                }
            } catch (IOException closedMeanwhile) {
                // the server may close before we finish
            }
            JsonNode error = null;
            for (String text; (text = raw.readText(5000)) != null; ) {
                JsonNode message = JSON.readTree(text);
                if (message.path("type").asText().equals("error")) {
                    error = message;
                    break;
                }
            }
            assertNotNull(error, "no error frame");
            assertEquals(1429, error.path("code").asInt());
            assertEquals("networkDisconnected", observer.awaitEvent(destroyed(id), WAIT).path("reason").asText());
        }
    }

    @Test
    void socketThatUpgradesButNeverConnectsIsRefusedWithARetryHint() throws IOException {
        // 1023 with retryAfterMs, not 1021: a client whose own side is saturated comes back later.
        try (Fixture quick = new Fixture(Fixture.fastConfig().handshakeTimeoutMs(300).build());
             RawWebSocket raw = RawWebSocket.open(quick.port())) {
            long start = System.nanoTime();
            JsonNode error = JSON.readTree(raw.readText(5000));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1023, error.path("code").asInt());
            assertTrue(error.path("retryAfterMs").asLong() > 0, "no retry hint: " + error);
            assertTrue(elapsedMs >= 250, "timed out after " + elapsedMs + " ms");
            assertTrue(raw.awaitServerClose(5000));
        }
    }

    @Test
    void heartbeatSilenceDoesNotCutASocketBeforeItsFirstFrame() throws IOException {
        ServerConfig config = Fixture.fastConfig().heartbeatTimeoutMs(200).handshakeTimeoutMs(800).build();
        try (Fixture quick = new Fixture(config); RawWebSocket raw = RawWebSocket.open(quick.port())) {
            long start = System.nanoTime();
            JsonNode error = JSON.readTree(raw.readText(5000));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1023, error.path("code").asInt());
            assertTrue(elapsedMs >= 750, "cut after " + elapsedMs + " ms, before the first-frame timeout");
        }
    }

    @Test
    void socketThatNeverSpeaksHttpIsClosed() throws IOException {
        try (Fixture quick = new Fixture(Fixture.fastConfig().httpIdleTimeoutMs(300).build());
             RawWebSocket raw = RawWebSocket.tcp(quick.port(), 0)) {
            assertTrue(raw.awaitServerClose(5000));
        }
    }

    @Test
    void slowReaderIsDroppedWithBoundedBuffers() throws Exception {
        ServerConfig config = Fixture.fastConfig()
                .heartbeatTimeoutMs(30_000) // it is the backlog that must catch it, not the heartbeat
                .maxBacklogBytes(64 * 1024).sendBufferBytes(8 * 1024).build();
        try (Fixture slow = new Fixture(config); RawWebSocket reader = RawWebSocket.open(slow.port(), 4 * 1024)) {
            String room = Fixture.newSession();
            TestClient watcher = slow.join(room, "watcher");
            reader.sendText(TestClient.connectFrame(Fixture.APP.apiKey(), room, slow.token(room, "slow"), false));
            String id = JSON.readTree(reader.readText(5000)).path("connection").path("id").asText();
            // From here on the reader reads nothing. Others come and go with 1000 bytes of data each.
            String data = "d".repeat(1000);
            JsonNode left = null;
            int cycles = 0;
            for (; cycles < 2000 && left == null; cycles++) {
                TestClient churn = slow.join(room, data);
                churn.close();
                left = watcher.events().stream().filter(destroyed(id)).findFirst().orElse(null);
            }
            assertNotNull(left, "the slow reader was never dropped");
            System.out.printf("slow reader dropped after %d join/leave cycles of 1000-byte connections%n", cycles);
            assertEquals("networkDisconnected", left.path("reason").asText());
            assertEquals(1, HttpApiTest.metric(slow.get("/metrics").body(), "rollcall_errors_total{code=\"1503\"}"));
            assertFalse(watcher.isClosed());
        }
    }
}
