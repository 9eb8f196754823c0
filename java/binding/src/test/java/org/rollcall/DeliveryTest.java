package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.rollcall.PresenceTest.ids;
import static org.rollcall.PresenceTest.join;
import static org.rollcall.PresenceTest.newSessionId;
import static org.rollcall.Recorder.Type.CONNECTED;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.DESTROYED;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where and how listeners run: off the library thread, bounded, resynchronised, never lost. */
@Timeout(120)
class DeliveryTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** Defect 1: on the old library-thread delivery the server dropped every session of the JVM. */
    @Test
    void aListenerBlockedForSixSecondsCausesNoDropElsewhere() throws Exception {
        String roomA = newSessionId();
        String roomB = newSessionId();
        Recorder annEvents = new Recorder();
        Recorder bobEvents = new Recorder();
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        String log = StandardError.capture(() -> {
            try (Session ann = join(server, roomA, "ann", annEvents);
                    Session bob = join(server, roomA, "bob", bobEvents);
                    Session slow = server.session(roomB).connectionListener(new Session.ConnectionListener() {
                        @Override
                        public void onConnectionCreated(Session session, Connection connection) {
                            blocking.countDown();
                            sleepUninterruptibly(6_000);
                            blocked.countDown();
                        }
                    }).build()) {
                annEvents.next(CREATED);
                slow.connect(server.token(roomB, "slow"));
                try (Session visitor = join(server, roomB, "visitor", new Recorder())) {
                    assertTrue(blocking.await(10, TimeUnit.SECONDS), "the slow listener never ran");
                    assertTrue(blocked.await(10, TimeUnit.SECONDS), "the slow listener never returned");
                }
                // The server would have dropped room A by now (heartbeat timeout 2.5 s) had the
                // library thread been blocked. A new member proves ann and bob still get events.
                try (Session carl = join(server, roomA, "carl", new Recorder())) {
                    assertEquals(carl.getConnection(), annEvents.await(CREATED, c -> c.getData().equals("carl")).connection());
                }
                annEvents.await(DESTROYED, c -> c.getData().equals("carl"));
                assertEquals(List.of(), annEvents.all().stream()
                        .filter(e -> e.type() == DESTROYED && !e.connection().getData().equals("carl")).toList());
                assertEquals(List.of(), bobEvents.all().stream()
                        .filter(e -> e.type() == DESTROYED && !e.connection().getData().equals("carl")).toList());
                assertEquals(1, bobEvents.all().stream().filter(e -> e.type() == CONNECTED).count());
                assertEquals(Set.of(bob.getConnection().getConnectionId()), ids(ann.getConnections()));
            }
        });
        assertTrue(log.contains("has held thread"), "no watchdog WARN in:\n" + log);
    }

    @Test
    void aListenerThatFallsBehindIsResynchronised() throws Exception {
        String sessionId = newSessionId();
        CountDownLatch release = new CountDownLatch(1);
        Recorder events = new Recorder();
        Session.ConnectionListener gated = new Session.ConnectionListener() {
            @Override
            public void onConnectionCreated(Session session, Connection connection) {
                awaitUninterruptibly(release);
                events.onConnectionCreated(session, connection);
            }

            @Override
            public void onConnectionDestroyed(Session session, Connection connection, DropReason reason) {
                events.onConnectionDestroyed(session, connection);
            }
        };
        List<Session> visitors = new ArrayList<>();
        String log = StandardError.capture(() -> {
            try (Session observer = server.session(sessionId).eventQueueCapacity(2)
                    .connectionListener(gated).sessionListener(events).build()) {
                observer.connect(server.token(sessionId, "observer"));
                events.next(CONNECTED);
                try {
                    for (int i = 0; i < 8; i++) {
                        visitors.add(join(server, sessionId, "visitor-" + i, new Recorder()));
                    }
                    for (int i = 0; i < 3; i++) {
                        visitors.remove(0).close();
                    }
                    awaitRoster(observer, 5);
                    release.countDown();
                    Set<String> told = awaitToldEqualsRoster(events, observer);
                    assertEquals(5, told.size());
                    assertTrue(observer.getResyncCount() >= 1, "resyncs: " + observer.getResyncCount());
                    assertTrue(observer.getDroppedEventCount() >= 1, "dropped: " + observer.getDroppedEventCount());
                } finally {
                    visitors.forEach(Session::close);
                }
            }
        });
        assertTrue(log.contains("fell behind") && log.contains("resynchronised"), log);
    }

    /** Defect 4: a shut-down executor dropped every event while getConnections() changed. */
    @Test
    void aRejectingExecutorLosesNoEvent() throws Exception {
        String sessionId = newSessionId();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.shutdown();
        Recorder watcher = new Recorder();
        String log = StandardError.capture(() -> {
            try (Session observer = watcher.attach(server.session(sessionId).executor(executor)).build()) {
                observer.connect(server.token(sessionId, "observer"));
                watcher.next(CONNECTED);
                for (int i = 0; i < 3; i++) {
                    try (Session visitor = join(server, sessionId, "visitor-" + i, new Recorder())) {
                        assertEquals(visitor.getConnection(), watcher.next(CREATED).connection());
                    }
                    assertEquals("visitor-" + i, watcher.next(DESTROYED).connection().getData());
                }
            }
        });
        int warnings = log.split("rejected listener calls", -1).length - 1;
        assertEquals(1, warnings, log);
    }

    @Test
    void connectAsyncCompletesOnConnectOrFailsWithTheError() throws Exception {
        String sessionId = newSessionId();
        try (Session session = server.session(sessionId).build()) {
            assertEquals(session, session.connectAsync(server.token(sessionId, "a")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS));
        }
        try (Session session = server.session(sessionId).build()) {
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> session.connectAsync(server.token(newSessionId(), "elsewhere")).toCompletableFuture()
                            .get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.AUTHORIZATION_FAILURE, ((RollcallException) failed.getCause()).getErrorCode());
        }
    }

    private static void awaitRoster(Session session, int size) throws InterruptedException {
        long deadline = System.nanoTime() + Recorder.TIMEOUT.toNanos();
        while (session.getConnections().size() != size) {
            if (System.nanoTime() > deadline) {
                fail("roster " + session.getConnections() + ", expected " + size);
            }
            Thread.sleep(10); // the roster has no listener of its own to wait on
        }
    }

    /** Replays the recorder's events; each connection told created once and destroyed once. */
    private static Set<String> awaitToldEqualsRoster(Recorder events, Session session) throws InterruptedException {
        Set<String> told = new HashSet<>();
        long deadline = System.nanoTime() + Recorder.TIMEOUT.toNanos();
        int seen = 0;
        while (true) {
            List<Recorder.Event> all = events.all();
            for (Recorder.Event event : all.subList(seen, all.size())) {
                String id = event.connection() == null ? null : event.connection().getConnectionId();
                if (event.type() == CREATED) {
                    assertTrue(told.add(id), "created twice: " + event);
                } else if (event.type() == DESTROYED) {
                    assertTrue(told.remove(id), "destroyed without created: " + event);
                }
            }
            seen = all.size();
            if (told.equals(ids(session.getConnections()))) {
                return told;
            }
            if (System.nanoTime() > deadline) {
                fail("told " + told + ", roster " + ids(session.getConnections()));
            }
            Thread.sleep(10);
        }
    }

    static void sleepUninterruptibly(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                // keep blocking: this listener models one that ignores interrupts
            }
        }
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep waiting
            }
        }
    }
}
