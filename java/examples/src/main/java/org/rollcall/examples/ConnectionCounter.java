package org.rollcall.examples;

import java.net.URI;
import java.util.concurrent.CountDownLatch;
import org.rollcall.Connection;
import org.rollcall.RollcallException;
import org.rollcall.Session;

/**
 * Counts the other clients in a session, like the connection-counting snippet in OpenTok's
 * Android documentation. Runs until the session ends or the process is stopped (Ctrl-C leaves the
 * session cleanly).
 *
 * <pre>
 * java -cp ... org.rollcall.examples.ConnectionCounter ws://127.0.0.1:8080 API_KEY SESSION_ID TOKEN
 * </pre>
 */
public final class ConnectionCounter implements Session.ConnectionListener, Session.SessionListener {
    /** Listeners of one session never run at the same time, so a plain field will do. */
    private int connectionCount;
    private int exitCode;
    private final CountDownLatch ended = new CountDownLatch(1);

    @Override
    public void onConnected(Session session) {
        System.out.println("Connected to " + session.getSessionId() + " as " + session.getConnection().getConnectionId() + ".");
    }

    @Override
    public void onConnectionCreated(Session session, Connection connection) {
        connectionCount++;
        System.out.println("Another client connected. " + connectionCount + " total.");
    }

    @Override
    public void onConnectionDestroyed(Session session, Connection connection) {
        connectionCount--;
        System.out.println("A client disconnected. " + connectionCount + " total.");
    }

    @Override
    public void onError(Session session, RollcallException exception) {
        System.err.println("Error " + exception.getCode() + ": " + exception.getMessage());
        if (session.getConnection() == null) { // the attempt to connect failed: nothing to wait for
            exitCode = 1;
            ended.countDown();
        }
    }

    @Override
    public void onDisconnected(Session session) {
        System.out.println("Disconnected.");
        ended.countDown();
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 4) {
            System.err.println("usage: ConnectionCounter SERVER_URL API_KEY SESSION_ID TOKEN");
            System.exit(2);
        }
        ConnectionCounter counter = new ConnectionCounter();
        try (Session session = new Session.Builder(URI.create(args[0]), args[1], args[2])
                .connectionListener(counter)
                .sessionListener(counter)
                .build()) {
            session.connect(args[3]);
            counter.ended.await();
        }
        System.exit(counter.exitCode);
    }
}
