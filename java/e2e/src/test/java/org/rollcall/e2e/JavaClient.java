package org.rollcall.e2e;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.rollcall.Connection;
import org.rollcall.DropReason;
import org.rollcall.RollcallException;
import org.rollcall.Session;

/**
 * A client in the test JVM through the Java binding ({@link Session}), which records what it sees
 * as lines such as {@code created <id>} and {@code destroyed <id> clientDisconnected}, the
 * reasons named as in docs/protocol.md.
 */
final class JavaClient implements AutoCloseable, Session.ConnectionListener, Session.SessionListener {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Session session;
    private final List<String> events = new ArrayList<>();

    private JavaClient(TestServer server, String sessionId) {
        session = new Session.Builder(URI.create(server.webSocketUrl()), server.app().apiKey(), sessionId)
                .connectionListener(this)
                .sessionListener(this)
                .build();
    }

    /** Connects with a dev token carrying this data and waits until it is in the session. */
    static JavaClient join(TestServer server, String sessionId, String data) throws Exception {
        JavaClient client = new JavaClient(server, sessionId);
        try {
            client.session.connect(server.devToken(sessionId, data));
            client.awaitEvent("connected");
            return client;
        } catch (Exception | AssertionError e) {
            client.close();
            throw e;
        }
    }

    String ownId() {
        return session.getConnection().getConnectionId();
    }

    /** The IDs of the others in the session now, in order of arrival. */
    List<String> rosterIds() {
        return session.getConnections().stream().map(Connection::getConnectionId).collect(Collectors.toList());
    }

    /** Waits until this event line has been seen; fails at once on a session error. */
    synchronized void awaitEvent(String event) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!events.contains(event)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || events.stream().anyMatch(e -> e.startsWith("error "))) {
                throw new AssertionError("Java client never saw '" + event + "'; saw " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** The connection events so far, in order. */
    synchronized List<String> connectionEvents() {
        return events.stream()
                .filter(e -> e.startsWith("created ") || e.startsWith("destroyed "))
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        session.close();
    }

    @Override
    public void onConnected(Session s) {
        record("connected");
    }

    @Override
    public void onDisconnected(Session s) {
        record("disconnected");
    }

    @Override
    public void onError(Session s, RollcallException error) {
        record("error " + error.getMessage());
    }

    @Override
    public void onConnectionCreated(Session s, Connection connection) {
        record("created " + connection.getConnectionId());
    }

    @Override
    public void onConnectionDestroyed(Session s, Connection connection) {
        record("destroyed " + connection.getConnectionId() + " "
                + connection.getDropReason().map(JavaClient::protocolName).orElse("none"));
    }

    private synchronized void record(String event) {
        events.add(event);
        notifyAll();
    }

    private static String protocolName(DropReason reason) {
        switch (reason) {
            case CLIENT_DISCONNECTED:
                return "clientDisconnected";
            case NETWORK_DISCONNECTED:
                return "networkDisconnected";
            case FORCE_DISCONNECTED:
                return "forceDisconnected";
            default:
                throw new IllegalArgumentException(reason.name());
        }
    }
}
