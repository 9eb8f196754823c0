package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A join storm of 2000 in one session must not stall other sessions: every session has its own
 * owner loop and no loop holds a lock over O(N) work, so a member of an unrelated session keeps
 * getting its pongs promptly. The storm's clients are plain non-blocking sockets that read and
 * drop everything, on one selector thread.
 */
class StormIsolationTest {
    private static final int STORM = 2000;

    @Test
    void pongsInAnUnrelatedSessionStayPromptDuringAJoinStormOf2000() throws Exception {
        // The swarm answers no pings: it must not be taken for silent however long a loaded machine
        // takes, and the server's pings to it must not keep it from ever going quiet.
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(60_000).heartbeatTimeoutMs(600_000).build();
        try (Fixture fixture = new Fixture(config); Swarm swarm = new Swarm(fixture.port())) {
            warmUp(fixture);
            String calm = Fixture.newSession();
            Prober prober = new Prober(fixture.ws, Fixture.APP.apiKey(), calm, fixture.token(calm, "prober"));
            String storm = Fixture.newSession();
            for (int i = 0; i < STORM; i++) {
                swarm.add(ProtocolV2Test.connectV2(storm, fixture.token(storm, "s" + i)));
            }
            prober.ping(); // warm
            long worstMs = 0;
            int probes = 0;
            int over50 = 0;
            int over100 = 0;
            swarm.release(); // every connect frame at once
            long nextProbe = 0;
            while (!swarm.quietFor(500)) {
                if (System.nanoTime() >= nextProbe) { // at most 40 a second: pings count toward the frame-rate limit
                    nextProbe = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(25);
                    long rttMs = prober.ping();
                    worstMs = Math.max(worstMs, rttMs);
                    over50 += rttMs > 50 ? 1 : 0;
                    over100 += rttMs > 100 ? 1 : 0;
                    probes++;
                }
                swarm.pump(5);
            }
            System.out.printf("storm of %d: %d pongs in another session, %d over 50 ms, worst %d ms, %d MB read by the swarm%n",
                    STORM, probes, over50, worstMs, swarm.bytesRead >> 20);
            assertTrue(swarm.bytesRead > 100L * STORM, "the storm did not happen: " + swarm.bytesRead + " bytes");
            assertEquals(STORM, HttpApiTest.metric(fixture.get("/metrics").body(), "rollcall_connections") - 1);
            // The aim is 100 ms (issue 10; scripts/bench reports it). Here the swarm's reader, the
            // probe's own threads and the server share two cores, so a few probes in a run may wait
            // out scheduler slices (up to a few hundred ms when other work shares the machine): the
            // test allows that, and catches what the old server did, a loop stalled for most of a
            // second behind one big session.
            assertTrue(worstMs < 500, "a pong took " + worstMs + " ms during the storm");
            assertTrue(over100 <= 3, over100 + " pongs took over 100 ms during the storm");
            prober.close();
        }
    }

    /**
     * A smaller storm first, so that the measured one runs compiled code, as on a server that has
     * been up for a while: a cold JVM interprets its first thousands of joins.
     */
    private static void warmUp(Fixture fixture) throws IOException {
        try (Swarm warm = new Swarm(fixture.port())) {
            String session = Fixture.newSession();
            for (int i = 0; i < STORM / 4; i++) {
                warm.add(ProtocolV2Test.connectV2(session, fixture.token(session, "w" + i)));
            }
            warm.release();
            while (!warm.quietFor(500)) {
                warm.pump(5);
            }
        }
    }

    /** A JDK WebSocket in its own session that times ping to pong. */
    private static final class Prober implements AutoCloseable {
        private final WebSocket socket;
        private final AtomicReference<CompletableFuture<Void>> pong = new AtomicReference<>();

        Prober(URI ws, String apiKey, String session, String token) {
            socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(ws, new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
                    CompletableFuture<Void> waiting = pong.get();
                    if (waiting != null) {
                        waiting.complete(null);
                    }
                    webSocket.request(1);
                    return null;
                }
            }).join();
            socket.sendText(ProtocolV2Test.connectV2(session, token), true).join();
        }

        long ping() throws Exception {
            CompletableFuture<Void> waiting = new CompletableFuture<>();
            pong.set(waiting);
            long start = System.nanoTime();
            socket.sendPing(ByteBuffer.wrap(new byte[] {1})).join();
            waiting.get(10, TimeUnit.SECONDS);
            return (System.nanoTime() - start) / 1_000_000;
        }

        @Override
        public void close() {
            socket.abort();
        }
    }

    /** Many raw WebSocket clients on one selector: each sends its first frame, then reads and drops. */
    private static final class Swarm implements AutoCloseable {
        private final int port;
        private final Selector selector = Selector.open();
        private final List<SocketChannel> sockets = new ArrayList<>();
        private final List<byte[]> firstFrames = new ArrayList<>();
        private final ByteBuffer sink = ByteBuffer.allocateDirect(256 * 1024);
        long bytesRead;
        private long lastReadNanos = System.nanoTime();

        Swarm(int port) throws IOException {
            this.port = port;
        }

        /** Opens a socket and completes its WebSocket handshake; its first frame waits for {@link #release}. */
        void add(String firstFrame) throws IOException {
            SocketChannel socket = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
            String key = Base64.getEncoder().encodeToString(new byte[16]);
            socket.write(ByteBuffer.wrap(("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer response = ByteBuffer.allocate(1024);
            while (!new String(response.array(), 0, response.position(), StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
                if (socket.read(response) < 0) {
                    throw new IOException("closed during the handshake");
                }
            }
            socket.configureBlocking(false);
            socket.register(selector, SelectionKey.OP_READ);
            sockets.add(socket);
            firstFrames.add(maskedText(firstFrame));
        }

        void release() throws IOException {
            for (int i = 0; i < sockets.size(); i++) {
                ByteBuffer frame = ByteBuffer.wrap(firstFrames.get(i));
                while (frame.hasRemaining()) {
                    sockets.get(i).write(frame);
                }
            }
            lastReadNanos = System.nanoTime();
        }

        /** Reads and drops whatever has arrived, for up to {@code ms}. */
        void pump(long ms) throws IOException {
            if (selector.select(ms) == 0) {
                return;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                SocketChannel socket = (SocketChannel) key.channel();
                int n;
                while ((n = socket.read(sink.clear())) > 0) {
                    bytesRead += n;
                    lastReadNanos = System.nanoTime();
                }
                if (n < 0) {
                    key.cancel();
                }
            }
            selector.selectedKeys().clear();
        }

        boolean quietFor(long ms) {
            return System.nanoTime() - lastReadNanos > TimeUnit.MILLISECONDS.toNanos(ms);
        }

        private static byte[] maskedText(String text) {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            ByteBuffer frame = ByteBuffer.allocate(payload.length + 8);
            frame.put((byte) 0x81).put((byte) (0x80 | 126)).putShort((short) payload.length).putInt(0); // mask 0
            frame.put(payload);
            return frame.array();
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel socket : sockets) {
                socket.close();
            }
            selector.close();
        }
    }
}
