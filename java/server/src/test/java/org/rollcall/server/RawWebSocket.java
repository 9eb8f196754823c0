package org.rollcall.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a bare socket, for what a well-behaved client library will not do: stop
 * answering pings, never read, send oversized frames or vanish without a close frame.
 */
final class RawWebSocket implements AutoCloseable {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    /** A frame as received; {@code fin} false for a fragment that more of its message follows. */
    record Frame(int opcode, byte[] payload, boolean fin) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects a plain TCP socket and does nothing more. */
    static RawWebSocket tcp(int port, int receiveBufferBytes) throws IOException {
        Socket socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes); // before connect, so the window stays small
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return new RawWebSocket(socket);
    }

    /** Connects and completes the WebSocket handshake on /v1/ws. */
    static RawWebSocket open(int port) throws IOException {
        return open(port, 0);
    }

    static RawWebSocket open(int port, int receiveBufferBytes) throws IOException {
        RawWebSocket ws = tcp(port, receiveBufferBytes);
        ws.handshake(port);
        return ws;
    }

    private void handshake(int port) throws IOException {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder response = new StringBuilder();
        socket.setSoTimeout(5000);
        while (!response.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during handshake: " + response);
            }
            response.append((char) b);
        }
        if (!response.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + response);
        }
    }

    void sendText(String text) throws IOException {
        sendFrame(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** One final frame, masked as a client must. */
    void sendFrame(int opcode, byte[] payload) throws IOException {
        out.write(maskedFrame(opcode, payload));
        out.flush();
    }

    /** Bytes as they are: frames built by the test, whole, in parts or several at once. */
    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The bytes of one final client frame: masked, with the shortest length encoding. */
    static byte[] maskedFrame(int opcode, byte[] payload) {
        return frame(0x80 | opcode, true, payload);
    }

    /** The bytes of one client frame: {@code first} is its first byte (FIN, RSV, opcode); shortest length encoding. */
    static byte[] frame(int first, boolean masked, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        int maskBit = masked ? 0x80 : 0;
        frame.write(first);
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xff);
            }
        }
        if (!masked) {
            frame.write(payload, 0, payload.length);
            return frame.toByteArray();
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        return frame.toByteArray();
    }

    /** The next frame from the server, or null if the socket closed or nothing came in time. */
    Frame readFrame(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        try {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            int second = readByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = (readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            return new Frame(first & 0x0f, in.readNBytes((int) length), (first & 0x80) != 0);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /** The next text frame, answering pings on the way; null if none came in time. */
    String readText(int timeoutMs) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            int left = (int) Math.max(1, deadline - System.currentTimeMillis());
            Frame frame = readFrame(left);
            if (frame == null || frame.opcode() == CLOSE) {
                return null;
            }
            if (frame.opcode() == PING) {
                sendFrame(PONG, frame.payload());
            } else if (frame.opcode() == TEXT) {
                return frame.text();
            }
        }
    }

    /** Reads and drops everything until the server closes the socket; false if it stays open. */
    boolean awaitServerClose(int timeoutMs) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        socket.setSoTimeout(100);
        byte[] buffer = new byte[8192];
        while (System.currentTimeMillis() < deadline) {
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting
            } catch (IOException e) {
                return true; // reset by the server
            }
        }
        return false;
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new IOException("closed mid-frame");
        }
        return b;
    }

    /** Vanishes without a close frame. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
