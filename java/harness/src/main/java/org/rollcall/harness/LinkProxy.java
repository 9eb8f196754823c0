package org.rollcall.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

/**
 * A TCP proxy between clients and the server that can cut links: the chaos scenario's broken
 * network. Each group of clients (an otc-load process, the Java clients) gets its own
 * {@link Listener}, so a cut hits exactly the clients the harness meant. A link is either
 * <em>reset</em> (both sockets closed with an RST, as a NAT box that forgot the flow) or
 * <em>stalled</em> (no byte moves either way for a while, then everything held goes on, as a
 * link that blacks out). Links made after a cut pass: that is how a client resumes.
 * Thread per direction per link: the chaos sizes are tens of links.
 */
final class LinkProxy implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final IntSupplier serverPort;
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();

    /** @param serverPort where links go; read at each new link (a restarted server keeps its port) */
    LinkProxy(IntSupplier serverPort) {
        this.serverPort = serverPort;
    }

    /** The listener of a group, opened on a free loopback port the first time. */
    Listener listener(String group) {
        return listeners.computeIfAbsent(group, name -> {
            try {
                return new Listener(name);
            } catch (IOException e) {
                throw new HarnessException("proxy: cannot listen for " + name + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public void close() {
        listeners.values().forEach(Listener::close);
        listeners.clear();
    }

    /** One group's port; its live links can be cut. */
    final class Listener implements AutoCloseable {
        private final String name;
        private final ServerSocket socket;
        private final List<Link> links = new CopyOnWriteArrayList<>();

        private Listener(String name) throws IOException {
            this.name = name;
            this.socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "proxy-" + name);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        /** {@code ws://127.0.0.1:port/v1/ws} through this listener. */
        String wsUrl() {
            return "ws://127.0.0.1:" + port() + "/v1/ws";
        }

        /** Live links now. */
        int links() {
            return (int) links.stream().filter(link -> !link.closed).count();
        }

        /** Closes every live link with an RST on both sides; returns how many. */
        int reset() {
            int count = 0;
            for (Link link : links) {
                if (!link.closed) {
                    link.reset();
                    count++;
                }
            }
            return count;
        }

        /** Holds every byte of every live link for {@code millis}; returns how many links. */
        int stall(long millis) {
            long until = System.nanoTime() + millis * 1_000_000;
            int count = 0;
            for (Link link : links) {
                if (!link.closed) {
                    link.stalledUntil = until;
                    count++;
                }
            }
            return count;
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    links.removeIf(link -> link.closed);
                    Link link = new Link(client);
                    links.add(link);
                    link.start(name);
                } catch (IOException e) {
                    // closed, or one failed accept: go on while open
                }
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            links.forEach(Link::close);
        }
    }

    /** One client's connection and its twin to the server. */
    private final class Link {
        private final Socket client;
        private Socket server;
        volatile long stalledUntil;
        volatile boolean closed;
        private final java.util.concurrent.atomic.AtomicInteger halfClosed = new java.util.concurrent.atomic.AtomicInteger();

        Link(Socket client) {
            this.client = client;
        }

        void start(String group) {
            Thread opener = new Thread(() -> {
                try {
                    client.setTcpNoDelay(true);
                    server = new Socket();
                    server.setTcpNoDelay(true);
                    server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), serverPort.getAsInt()), 5000);
                } catch (IOException e) {
                    close(); // the server is down: the client sees its connect fail, as without a proxy
                    return;
                }
                Thread back = new Thread(() -> pump(server, client), "proxy-" + group + "-down");
                back.setDaemon(true);
                back.start();
                pump(client, server);
            }, "proxy-" + group + "-up");
            opener.setDaemon(true);
            opener.start();
        }

        /**
         * Copies one direction. An end of stream passes on as a FIN (half-close), as a router
         * would: closing both sockets at once would make the kernel answer the server's unread
         * bytes with an RST, which a real path never adds. A broken side resets the other.
         */
        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[BUFFER];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    holdWhileStalled();
                    out.write(buffer, 0, n);
                }
                to.shutdownOutput();
                if (halfClosed.incrementAndGet() == 2) {
                    close(); // both ways ended cleanly
                }
            } catch (IOException e) {
                reset(); // one side broke (or was reset): so does the other
            }
        }

        /** A stalled link reads no more (TCP's window fills) and writes nothing until the stall ends. */
        private void holdWhileStalled() {
            long wait;
            while (!closed && (wait = stalledUntil - System.nanoTime()) > 0) {
                try {
                    Thread.sleep(Math.max(1, Math.min(50, wait / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        void reset() {
            try {
                client.setSoLinger(true, 0);
                if (server != null) {
                    server.setSoLinger(true, 0);
                }
            } catch (IOException e) {
                // already closed
            }
            close();
        }

        synchronized void close() {
            closed = true;
            closeQuietly(client);
            closeQuietly(server);
        }

        private void closeQuietly(Socket socket) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }
}
