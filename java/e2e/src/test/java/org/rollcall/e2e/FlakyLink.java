package org.rollcall.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback between browsers and the server whose links the test can break:
 * {@link #cut()} resets every open link (the browser sees its socket drop without a close frame),
 * {@link #stall()} silently swallows everything on the open links (a path gone dead, only heartbeats
 * can tell). New links always work, so a client can come back through the relay.
 */
final class FlakyLink implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();

    FlakyLink(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        daemon("flaky-link-accept", this::acceptLoop);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    void cut() {
        for (Link link : links) {
            link.reset();
        }
    }

    void stall() {
        for (Link link : links) {
            link.stalled = true;
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cut();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                Link link = new Link(client, server);
                links.add(link);
                daemon("flaky-link-up", () -> link.pump(client, server));
                daemon("flaky-link-down", () -> link.pump(server, client));
            } catch (IOException e) {
                // The listener closed, or the server is down: the client sees its connect fail.
            }
        }
    }

    private final class Link {
        private final Socket client;
        private final Socket server;
        volatile boolean stalled;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!stalled) {
                        out.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // One side is gone; closing both below passes that on.
            } finally {
                close();
            }
        }

        void reset() {
            for (Socket socket : List.of(client, server)) {
                try {
                    socket.setSoLinger(true, 0);
                } catch (IOException e) {
                    // Already closed.
                }
            }
            close();
        }

        private void close() {
            links.remove(this);
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing to do.
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }
}
