package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The edges of decoding client frames, which the server owns since {@link ClientFrames} replaced
 * Netty's WebSocket handlers: fragments, control frames between them, frames split across reads,
 * the size limit over a fragmented message, and each protocol violation with the error and close
 * code the server gave under Netty's decoder (1011 and close 1008; 1413 and close 1009 when too long).
 */
class ClientFramesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FIN = 0x80;
    private static final int LIMIT = 4096;
    private static Fixture fixture;

    @BeforeAll
    static void start() {
        fixture = new Fixture(Fixture.fastConfig().maxFrameBytes(LIMIT).build());
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static byte[] connect(String session) {
        return TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "frames"), false)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    @Test
    void fragmentedMessageWithControlFramesBetweenItsFragmentsAndSplitAcrossReads() throws IOException {
        String session = Fixture.newSession();
        byte[] message = connect(session);
        int third = message.length / 3;
        byte[] ping = "are you there".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = concat(
                RawWebSocket.frame(RawWebSocket.TEXT, true, Arrays.copyOfRange(message, 0, third)),
                RawWebSocket.frame(FIN | RawWebSocket.PING, true, ping),
                RawWebSocket.frame(0x0, true, Arrays.copyOfRange(message, third, 2 * third)),
                RawWebSocket.frame(FIN | RawWebSocket.PONG, true, new byte[0]),
                RawWebSocket.frame(FIN, true, Arrays.copyOfRange(message, 2 * third, message.length)));
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            // in two writes cut inside a frame's header: the server must keep the first part
            raw.sendBytes(Arrays.copyOfRange(bytes, 0, third + 3));
            raw.sendBytes(Arrays.copyOfRange(bytes, third + 3, bytes.length));
            RawWebSocket.Frame pong = raw.readFrame(5000);
            assertNotNull(pong, "no answer to the ping");
            assertEquals(RawWebSocket.PONG, pong.opcode());
            assertArrayEquals(ping, pong.payload());
            JsonNode connected = JSON.readTree(raw.readText(5000));
            assertEquals("connected", connected.path("type").asText(), connected.toString());
        }
    }

    @Test
    void fragmentedMessageThatGrowsPastTheLimitIs1413() throws IOException {
        byte[] half = "x".repeat(LIMIT / 2 + 1).getBytes(StandardCharsets.UTF_8);
        assertAnswer(1413, 1009, concat(RawWebSocket.frame(RawWebSocket.TEXT, true, half), RawWebSocket.frame(FIN, true, half)));
    }

    @Test
    void fragmentedMessageOfExactlyTheLimitIsAccepted() throws IOException {
        String session = Fixture.newSession();
        String connect = new String(connect(session), StandardCharsets.UTF_8);
        String padded = connect.substring(0, connect.length() - 1) + ",\"pad\":\"";
        padded += "x".repeat(LIMIT - padded.length() - 2) + "\"}";
        byte[] message = padded.getBytes(StandardCharsets.UTF_8);
        assertEquals(LIMIT, message.length);
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendBytes(concat(RawWebSocket.frame(RawWebSocket.TEXT, true, Arrays.copyOfRange(message, 0, 3000)),
                    RawWebSocket.frame(FIN, true, Arrays.copyOfRange(message, 3000, LIMIT))));
            JsonNode connected = JSON.readTree(raw.readText(5000));
            assertEquals("connected", connected.path("type").asText(), connected.toString());
        }
    }

    static Stream<Arguments> malformed() {
        byte[] text = "{\"type\":\"connect\"}".getBytes(StandardCharsets.UTF_8);
        byte[] nonMinimalLength = {(byte) (FIN | RawWebSocket.TEXT), (byte) (0x80 | 126), 0, 5, 1, 2, 3, 4, 0, 0, 0, 0, 0};
        return Stream.of(
                Arguments.of("unmasked", RawWebSocket.frame(FIN | RawWebSocket.TEXT, false, text)),
                Arguments.of("unmasked ping", RawWebSocket.frame(FIN | RawWebSocket.PING, false, new byte[0])),
                Arguments.of("reserved bit", RawWebSocket.frame(FIN | 0x40 | RawWebSocket.TEXT, true, text)),
                Arguments.of("reserved data opcode", RawWebSocket.frame(FIN | 0x3, true, text)),
                Arguments.of("reserved control opcode", RawWebSocket.frame(FIN | 0xB, true, new byte[0])),
                Arguments.of("fragmented ping", RawWebSocket.frame(RawWebSocket.PING, true, new byte[0])),
                Arguments.of("ping over 125 bytes", RawWebSocket.frame(FIN | RawWebSocket.PING, true, new byte[126])),
                Arguments.of("close with one byte", RawWebSocket.frame(FIN | RawWebSocket.CLOSE, true, new byte[1])),
                Arguments.of("close with an invalid code", RawWebSocket.frame(FIN | RawWebSocket.CLOSE, true, new byte[] {0x03, (byte) 0xed})),
                Arguments.of("continuation outside a message", RawWebSocket.frame(FIN, true, text)),
                Arguments.of("text inside a fragmented message", concat(RawWebSocket.frame(RawWebSocket.TEXT, true, text),
                        RawWebSocket.frame(FIN | RawWebSocket.TEXT, true, text))),
                Arguments.of("length not in its shortest form", nonMinimalLength),
                Arguments.of("text split inside a UTF-8 character, invalid whole", concat(
                        RawWebSocket.frame(RawWebSocket.TEXT, true, new byte[] {'"', (byte) 0xc3}),
                        RawWebSocket.frame(FIN, true, new byte[] {'"'}))),
                Arguments.of("fragmented binary message", concat(RawWebSocket.frame(RawWebSocket.BINARY, true, text),
                        RawWebSocket.frame(FIN, true, text))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFrameIs1011(String what, byte[] bytes) throws IOException {
        assertAnswer(1011, 1008, bytes);
    }

    @Test
    void malformedFrameAfterConnectEndsTheMember() throws IOException {
        String session = Fixture.newSession();
        TestClient observer = fixture.join(session, "observer");
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendFrame(RawWebSocket.TEXT, connect(session));
            String id = JSON.readTree(raw.readText(5000)).path("connection").path("id").asText();
            observer.awaitEvent(ConnectionEventsTest.created(id), TestClient.TIMEOUT);
            raw.sendBytes(RawWebSocket.frame(FIN | RawWebSocket.TEXT, false, "{}".getBytes(StandardCharsets.UTF_8)));
            assertEquals(1011, JSON.readTree(raw.readText(5000)).path("code").asInt());
            JsonNode left = observer.awaitEvent(ConnectionEventsTest.destroyed(id), TestClient.TIMEOUT);
            assertEquals("networkDisconnected", left.path("reason").asText());
        }
    }

    /** The server answers {@code bytes} with an error frame of {@code code}, a close frame of {@code closeStatus}, and closes. */
    private static void assertAnswer(int code, int closeStatus, byte[] bytes) throws IOException {
        try (RawWebSocket raw = RawWebSocket.open(fixture.port())) {
            raw.sendBytes(bytes);
            String error = raw.readText(5000);
            assertNotNull(error, "no error frame");
            assertEquals(code, JSON.readTree(error).path("code").asInt(), error);
            RawWebSocket.Frame close = raw.readFrame(5000);
            assertNotNull(close, "no close frame");
            assertEquals(RawWebSocket.CLOSE, close.opcode());
            assertEquals(closeStatus, ((close.payload()[0] & 0xff) << 8) | (close.payload()[1] & 0xff));
            assertTrue(raw.awaitServerClose(5000));
        }
    }
}
