package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.PresenceTest.join;
import static org.rollcall.PresenceTest.newSessionId;
import static org.rollcall.Recorder.Type.CONNECTED;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.DESTROYED;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listeners that misbehave, close() at awkward moments, the garbage collector, forgotten sessions. */
@Timeout(120)
class RobustnessTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** Records like a Recorder, then throws. */
    private static final class ThrowingListener implements Session.ConnectionListener, Session.SessionListener {
        final Recorder recorder = new Recorder();

        @Override
        public void onConnected(Session session) {
            recorder.onConnected(session);
            throw new IllegalStateException("listener bug (onConnected)");
        }

        @Override
        public void onConnectionCreated(Session session, Connection connection) {
            recorder.onConnectionCreated(session, connection);
            throw new RuntimeException("listener bug (created)");
        }

        @Override
        public void onConnectionDestroyed(Session session, Connection connection) {
            recorder.onConnectionDestroyed(session, connection);
            throw new AssertionError("listener bug (destroyed), an Error");
        }
    }

    @Test
    void listenersThatThrowAreLoggedAndTheSessionGoesOn() throws Exception {
        String sessionId = newSessionId();
        ThrowingListener throwing = new ThrowingListener();
        String log = StandardError.capture(() -> {
            try (Session observer = server.session(sessionId)
                    .connectionListener(throwing).sessionListener(throwing).build()) {
                observer.connect(server.token(sessionId, "observer"));
                throwing.recorder.next(CONNECTED);
                for (int i = 0; i < 3; i++) {
                    try (Session visitor = join(server, sessionId, "visitor-" + i, new Recorder())) {
                        assertEquals(visitor.getConnection(), throwing.recorder.next(CREATED).connection());
                    }
                    assertEquals("visitor-" + i, throwing.recorder.next(DESTROYED).connection().getData());
                }
                assertEquals(List.of(), observer.getConnections());
                assertTrue(observer.getConnection() != null, "still connected");
            }
        });
        assertTrue(log.contains("WARN"), log);
        assertTrue(log.contains("listener bug (created)"), log);
        assertTrue(log.contains("listener bug (destroyed), an Error"), log);
    }

    @Test
    void closeFromInsideAListenerOnTheLibraryThread() throws Exception {
        closeFromInsideAListener(null);
    }

    @Test
    void closeFromInsideAListenerOnAnExecutor() throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            closeFromInsideAListener(executor);
        } finally {
            executor.shutdown();
        }
    }

    private void closeFromInsideAListener(ExecutorService executor) throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch closedInside = new CountDownLatch(1);
        try (Session observer = join(server, sessionId, "observer", watcher)) {
            Session.Builder builder = server.session(sessionId).connectionListener(new Session.ConnectionListener() {
                @Override
                public void onConnectionCreated(Session session, Connection connection) {
                    calls.incrementAndGet();
                    session.close();
                    session.close(); // idempotent
                    closedInside.countDown();
                }

                @Override
                public void onConnectionDestroyed(Session session, Connection connection) {
                    calls.incrementAndGet();
                }
            });
            if (executor != null) {
                builder.executor(executor);
            } else {
                builder.deliverOnLibraryThread();
            }
            Session closer = builder.build();
            closer.connect(server.token(sessionId, "closer"));
            assertTrue(closedInside.await(10, TimeUnit.SECONDS));
            watcher.next(CREATED);

            // The close took effect: the others see a clean departure, and no listener runs again.
            Connection left = watcher.next(DESTROYED).connection();
            assertEquals(Optional.of(DropReason.CLIENT_DISCONNECTED), left.getDropReason());
            try (Session visitor = join(server, sessionId, "visitor", new Recorder())) {
                watcher.next(CREATED);
            }
            watcher.next(DESTROYED);
            assertEquals(1, calls.get());
            assertThrows(IllegalStateException.class, () -> closer.connect(server.token(sessionId, "again")));
            closer.disconnect(); // closed: nothing happens
        }
    }

    @Test
    void noListenerRunsAfterCloseReturns() throws Exception {
        noListenerRunsAfterCloseReturns(null);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            noListenerRunsAfterCloseReturns(executor);
        } finally {
            executor.shutdown();
        }
    }

    private void noListenerRunsAfterCloseReturns(ExecutorService executor) throws Exception {
        AtomicLong calls = new AtomicLong();
        AtomicBoolean inListener = new AtomicBoolean();
        CountDownLatch flowing = new CountDownLatch(1000);
        Session.Builder builder = server.session(newSessionId()).connectionListener(new Session.ConnectionListener() {
            @Override
            public void onConnectionCreated(Session session, Connection connection) {
                inListener.set(true);
                calls.incrementAndGet();
                flowing.countDown();
                inListener.set(false);
            }
        });
        if (executor != null) {
            builder.executor(executor);
        }
        Session session = builder.build();
        TestHooks.injectConnectionEvents(session, 1_000_000);
        assertTrue(flowing.await(10, TimeUnit.SECONDS));

        session.close();
        assertFalse(inListener.get(), "a listener is running after close() returned");
        long atClose = calls.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (System.nanoTime() < deadline) {
            assertEquals(atClose, calls.get(), "a listener ran after close() returned");
            Thread.onSpinWait();
        }
        assertTrue(atClose < 1_000_000, "close() came before the events ran out: " + atClose);
    }

    @Test
    void eventsWhileTheGarbageCollectorRuns() throws Exception {
        String sessionId = newSessionId();
        int pairs = 20_000;
        AtomicLong injected = new AtomicLong();
        Recorder watcher = new Recorder();
        try (Session injectedInto = server.session(newSessionId())
                .eventQueueCapacity(4 * pairs) // every event counts here: never fall behind
                .connectionListener(new Session.ConnectionListener() {
                    @Override
                    public void onConnectionCreated(Session session, Connection connection) {
                        injected.incrementAndGet();
                    }

                    @Override
                    public void onConnectionDestroyed(Session session, Connection connection) {
                        injected.incrementAndGet();
                    }
                }).build();
                Session observer = join(server, sessionId, "observer", watcher)) {
            AtomicBoolean collecting = new AtomicBoolean(true);
            AtomicInteger collections = new AtomicInteger();
            Thread collector = new Thread(() -> {
                while (collecting.get()) {
                    System.gc();
                    collections.incrementAndGet();
                    LockSupport.parkNanos(5_000_000); // lets the JVM get on between full collections
                }
            }, "gc-loop");
            collector.start();
            try {
                // Rounds of injected events until more than 5 full collections ran meanwhile
                // (a round may take less than a collection's time).
                int rounds = 0;
                int collectionsBefore = collections.get();
                do {
                    TestHooks.injectConnectionEvents(injectedInto, pairs);
                    rounds++;
                    if (rounds == 1) {
                        for (int i = 0; i < 5; i++) {
                            try (Session visitor = join(server, sessionId, "visitor-" + i, new Recorder())) {
                                assertEquals(visitor.getConnection(), watcher.next(CREATED).connection());
                            }
                            watcher.next(DESTROYED);
                        }
                    }
                    long expected = 2L * pairs * rounds;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (injected.get() < expected && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    assertEquals(expected, injected.get(), "injected events seen after round " + rounds);
                } while (collections.get() - collectionsBefore <= 5 && rounds < 200);
                assertTrue(collections.get() - collectionsBefore > 5, "full collections meanwhile: "
                        + (collections.get() - collectionsBefore));
            } finally {
                collecting.set(false);
                collector.join();
            }
        }
    }

    @Test
    void aForgottenSessionIsClosedByTheCleanerWithAWarning() throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        try (Session observer = join(server, sessionId, "observer", watcher)) {
            String log = StandardError.capture(() -> {
                joinAndForget(sessionId);
                Connection forgotten = watcher.next(CREATED).connection();
                List<byte[]> pressure = new ArrayList<>();
                Recorder.Event left = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (left == null && System.nanoTime() < deadline) {
                    System.gc();
                    pressure.add(new byte[1024]);
                    left = watcher.unread().isEmpty() ? null : watcher.next(DESTROYED);
                    Thread.sleep(10);
                }
                assertTrue(left != null, "the forgotten session never left");
                assertEquals(forgotten, left.connection());
                assertEquals(Optional.of(DropReason.CLIENT_DISCONNECTED), left.connection().getDropReason());
            });
            assertTrue(log.contains("WARN") && log.contains("was not closed"), log);
        }
    }

    private static void joinAndForget(String sessionId) throws InterruptedException {
        join(server, sessionId, "forgotten", new Recorder());
    }
}
