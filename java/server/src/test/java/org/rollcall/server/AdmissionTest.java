package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sockets per remote address are capped before the WebSocket upgrade; sockets that never upgrade do not linger. */
class AdmissionTest {
    private static final int CAP = 5;
    private static final String UPGRADE = "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void anUpgradeOverThePerAddressCapGets429AndRawBytesAPlainClose() throws Exception {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().build(),
                Fixture.lenientSecurity().maxSocketsPerAddress(CAP).build())) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < CAP; i++) {
                    Socket socket = connect(fixture.port(), "127.0.0.1");
                    assertEquals("HTTP/1.1 200", exchange(socket, HEALTH), "within the cap"); // answered: counted
                    held.add(socket);
                }
                try (Socket over = connect(fixture.port(), "127.0.0.1")) {
                    assertEquals("HTTP/1.1 429", exchange(over, UPGRADE));
                    assertTrue(closedByServer(over));
                }
                try (Socket raw = connect(fixture.port(), "127.0.0.1")) {
                    raw.getOutputStream().write("\u0016\u0003\u0001 not http at all\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    assertTrue(closedByServer(raw), "a raw socket over the cap is closed");
                }
                // Another address is not affected (Linux routes all of 127/8 to loopback).
                try (Socket other = connect(fixture.port(), "127.0.0.2")) {
                    assertEquals("HTTP/1.1 101", exchange(other, UPGRADE));
                }
                // A socket that closes frees its place.
                held.remove(0).close();
                assertEquals("HTTP/1.1 101", upgradeOnceAdmitted(fixture.port()));
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        }
    }

    /**
     * After the upgrade the admission handler leaves the pipeline (one context fewer per idle
     * socket) and the WebSocket's own handler gives its place back: it must, or every WebSocket
     * that ever closed would keep a place of its address.
     */
    @Test
    void aWebSocketThatClosesGivesItsPlaceBack() throws Exception {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().build(),
                Fixture.lenientSecurity().maxSocketsPerAddress(2).build())) {
            Socket first = connect(fixture.port(), "127.0.0.1");
            try (Socket second = connect(fixture.port(), "127.0.0.1")) {
                assertEquals("HTTP/1.1 101", exchange(first, UPGRADE));
                assertEquals("HTTP/1.1 101", exchange(second, UPGRADE));
                try (Socket over = connect(fixture.port(), "127.0.0.1")) {
                    assertEquals("HTTP/1.1 429", exchange(over, UPGRADE), "both places are taken by WebSockets");
                }
                first.close(); // the WebSocket goes without a close frame
                assertEquals("HTTP/1.1 101", upgradeOnceAdmitted(fixture.port()));
            } finally {
                first.close();
            }
        }
    }

    @Test
    void aSocketThatNeverUpgradesIsClosedWithinTheDefaultHttpIdleTime() throws Exception {
        long idleMs = ServerConfig.defaults().httpIdleTimeoutMs();
        assertEquals(5000, idleMs, "the documented default");
        try (Fixture fixture = new Fixture(); Socket quiet = connect(fixture.port(), "127.0.0.1")) {
            long start = System.nanoTime();
            assertTrue(closedByServer(quiet));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs >= idleMs - 500 && tookMs < idleMs + 3000, "closed after " + tookMs + " ms");
        }
    }

    /** The close of the freed socket reaches the server asynchronously: retry until it is counted out. */
    private static String upgradeOnceAdmitted(int port) throws Exception {
        long deadline = System.currentTimeMillis() + TestClient.TIMEOUT.toMillis();
        while (true) {
            try (Socket socket = connect(port, "127.0.0.1")) {
                String status = exchange(socket, UPGRADE);
                if (!status.equals("HTTP/1.1 429") || System.currentTimeMillis() > deadline) {
                    return status;
                }
            }
            Thread.sleep(20); // no event tells the client when the server has counted the close
        }
    }

    private static Socket connect(int port, String localAddress) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(localAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends a request and returns the status line's first 12 characters. */
    private static String exchange(Socket socket, String request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        StringBuilder headers = new StringBuilder(status);
        while (!headers.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            headers.append((char) b);
        }
        int length = contentLength(headers.toString());
        in.readNBytes(length);
        return status;
    }

    private static int contentLength(String headers) {
        for (String line : headers.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }

    private static boolean closedByServer(Socket socket) throws IOException {
        try {
            byte[] buffer = new byte[1024];
            while (true) {
                if (socket.getInputStream().read(buffer) < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }
}
