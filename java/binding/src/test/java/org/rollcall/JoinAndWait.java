package org.rollcall;

import java.net.URI;
import java.util.concurrent.CountDownLatch;

/**
 * A client in its own JVM, for tests that kill it: joins, prints {@code connected <id>}, and
 * waits to be killed. Args: server URL, API key, session ID, token.
 */
public final class JoinAndWait {
    private JoinAndWait() {
    }

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch forever = new CountDownLatch(1);
        try (Session session = new Session.Builder(URI.create(args[0]), args[1], args[2]).build()) {
            session.setSessionListener(new Session.SessionListener() {
                @Override
                public void onConnected(Session connected) {
                    System.out.println("connected " + connected.getConnection().getConnectionId());
                    System.out.flush();
                }

                @Override
                public void onError(Session failed, RollcallException error) {
                    System.out.println("error " + error);
                    System.out.flush();
                }
            });
            session.connect(args[3]);
            forever.await();
        }
    }
}
