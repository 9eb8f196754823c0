package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Throws one fuzzer input at a real server as a fresh client would, and checks the answer. The
 * input's first byte picks how its rest is sent (after a valid {@code connect} or as the first
 * frame; as one text frame, or as raw bytes that the client writes as if they were frames); the
 * client then half-closes and reads until the server closes. Every error frame must carry a
 * documented code, never 2000 (internal error), and the server must close the socket.
 */
final class FrameFuzzer {
    /** The codes of docs/protocol.md's error table, without 2000. */
    static final Set<Integer> DOCUMENTED = Set.of(1004, 1005, 1006, 1011, 1015, 1021, 1023, 1027, 1413, 1429, 1503);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPGRADE = "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private final Fixture fixture;
    private final String session;
    private long exchanges;

    FrameFuzzer(Fixture fixture, String session) {
        this.fixture = fixture;
        this.session = session;
    }

    long exchanges() {
        return exchanges;
    }

    /** One input, one socket. Throws AssertionError when the server misbehaves. */
    void exchange(byte[] input) throws IOException {
        exchanges++;
        int mode = input.length == 0 ? 0 : input[0] & 0x03;
        byte[] rest = input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", fixture.port()), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(UPGRADE.getBytes(StandardCharsets.US_ASCII));
            skipHttpHeaders(in);
            if (mode >= 2) { // joined first: the fuzz reaches the decoding of a member's frames
                out.write(RawWebSocket.maskedFrame(0x1, TestClient.connectFrame(Fixture.APP.apiKey(), session,
                        fixture.token(session, "fuzz"), true).getBytes(StandardCharsets.UTF_8)));
            }
            if ((mode & 1) == 0) {
                out.write(RawWebSocket.maskedFrame(0x1, rest)); // a text frame whose payload is the input (maybe not UTF-8)
            } else {
                out.write(rest); // the input as frame bytes: headers, lengths, opcodes, masks
            }
            out.flush();
            socket.shutdownOutput();
            checkAnswer(readAll(in));
        }
    }

    /** Parses the server's frames: error frames must carry documented codes. */
    private static void checkAnswer(byte[] bytes) throws IOException {
        int at = 0;
        while (at + 2 <= bytes.length) {
            int opcode = bytes[at] & 0x0f;
            long length = bytes[at + 1] & 0x7f;
            at += 2;
            if (length == 126) {
                length = ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
                at += 2;
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | (bytes[at + i] & 0xff);
                }
                at += 8;
            }
            if (at + length > bytes.length) {
                break; // the server closed mid-frame: it may, after an error
            }
            if (opcode == 0x1) {
                JsonNode message = JSON.readTree(new String(bytes, at, (int) length, StandardCharsets.UTF_8));
                if (message.path("type").asText().equals("error")) {
                    int code = message.path("code").asInt();
                    if (!DOCUMENTED.contains(code)) {
                        throw new AssertionError("undocumented error code " + code + ": " + message);
                    }
                }
            }
            at += (int) length;
        }
    }

    private static void skipHttpHeaders(InputStream in) throws IOException {
        StringBuilder headers = new StringBuilder();
        while (!headers.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed during the handshake: " + headers);
            }
            headers.append((char) b);
        }
        if (!headers.toString().startsWith("HTTP/1.1 101")) {
            throw new AssertionError("handshake refused: " + headers);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the socket open 10 s after the client's half-close");
        } catch (IOException e) {
            // reset after the server's close: what was read is the answer
        }
        return all.toByteArray();
    }
}
