package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.Recorder.Type.CONNECTED;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.DESTROYED;
import static org.rollcall.Recorder.Type.DISCONNECTED;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Joining, the roster, and leaving, against the real server. */
class PresenceTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static String newSessionId() {
        return "s-" + UUID.randomUUID();
    }

    static Session join(TestServer server, String sessionId, String data, Recorder recorder) throws InterruptedException {
        Session session = recorder.attach(server.session(sessionId)).build();
        session.connect(server.token(sessionId, data));
        recorder.next(CONNECTED);
        return session;
    }

    @Test
    void aJoinerGetsTheRosterThenTheOthersSeeItJoin() throws Exception {
        String sessionId = newSessionId();
        Recorder annEvents = new Recorder();
        Recorder bobEvents = new Recorder();
        Recorder carlEvents = new Recorder();
        Instant before = Instant.now().minusSeconds(1);
        try (Session ann = join(server, sessionId, "name=ann", annEvents);
                Session bob = join(server, sessionId, "name=bob", bobEvents)) {
            assertEquals(ann.getConnection(), bobEvents.next(CREATED).connection());
            assertEquals(bob.getConnection(), annEvents.next(CREATED).connection());

            try (Session carl = join(server, sessionId, "name=carl", carlEvents)) {
                Connection own = carl.getConnection();
                assertNotNull(own);
                assertEquals("name=carl", own.getData());
                assertTrue(own.getCreationTime().isAfter(before), own.toString());
                assertEquals(sessionId, carl.getSessionId());

                Connection first = carlEvents.next(CREATED).connection();
                Connection second = carlEvents.next(CREATED).connection();
                assertEquals(Set.of(ann.getConnection(), bob.getConnection()), Set.of(first, second));
                assertEquals(Set.of("name=ann", "name=bob"), Set.of(first.getData(), second.getData()));
                assertEquals(Optional.empty(), first.getDropReason());
                assertEquals(Set.of(first, second), Set.copyOf(carl.getConnections()));

                Connection seenByAnn = annEvents.next(CREATED).connection();
                assertEquals(own, seenByAnn);
                assertEquals(own.getCreationTime(), seenByAnn.getCreationTime());
                assertEquals(own, bobEvents.next(CREATED).connection());
                assertEquals(List.of(bob.getConnection(), own), ann.getConnections());
            }
            assertEquals(List.of(), carlEvents.unread(), "nothing after close()");
        }
    }

    @Test
    void everyMemberSeesEachEventAtTheSamePositionAndARosterAtNone() throws Exception {
        String sessionId = newSessionId();
        Recorder annEvents = new Recorder();
        Recorder bobEvents = new Recorder();
        Recorder carlEvents = new Recorder();
        try (Session ann = join(server, sessionId, "ann", annEvents);
                Session bob = join(server, sessionId, "bob", bobEvents)) {
            annEvents.next(CREATED);
            assertEquals(Optional.empty(), bobEvents.next(CREATED).connection().getEventPosition(),
                    "bob learnt of ann from the roster");
            assertEquals(Optional.empty(), ann.getConnection().getEventPosition());

            Session carl = join(server, sessionId, "carl", carlEvents);
            EventPosition joined = annEvents.next(CREATED).connection().getEventPosition().orElseThrow();
            assertEquals(joined, bobEvents.next(CREATED).connection().getEventPosition().orElseThrow());
            assertTrue(joined.seq() > 0 && joined.epoch() > 0, joined.toString());
            carl.close();
            EventPosition left = annEvents.next(DESTROYED).connection().getEventPosition().orElseThrow();
            assertEquals(left, bobEvents.next(DESTROYED).connection().getEventPosition().orElseThrow());
            assertEquals(new EventPosition(joined.epoch(), joined.seq() + 1), left);
            assertTrue(left.compareTo(joined) > 0);
        }
    }

    @Test
    void connectionDataKeepsUnicode() throws Exception {
        String sessionId = newSessionId();
        String data = "name=Zoë Łukasz 東京 🎉";
        Recorder watcher = new Recorder();
        try (Session observer = join(server, sessionId, "", watcher);
                Session zoe = join(server, sessionId, data, new Recorder())) {
            assertEquals(data, zoe.getConnection().getData());
            assertEquals(data, watcher.next(CREATED).connection().getData());
            assertEquals("", observer.getConnection().getData());
        }
    }

    @Test
    void closingASessionIsAClientDisconnect() throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        try (Session observer = join(server, sessionId, "observer", watcher)) {
            Session leaver = join(server, sessionId, "leaver", new Recorder());
            Connection joined = watcher.next(CREATED).connection();
            leaver.close();

            Connection left = watcher.next(DESTROYED).connection();
            assertEquals(joined, left);
            assertEquals(Optional.of(DropReason.CLIENT_DISCONNECTED), left.getDropReason());
            assertEquals("leaver", left.getData());
            assertEquals(List.of(), observer.getConnections());
        }
    }

    @Test
    void disconnectIsAClientDisconnectAndTheSessionCanConnectAgain() throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        Recorder leaverEvents = new Recorder();
        try (Session observer = join(server, sessionId, "observer", watcher);
                Session leaver = join(server, sessionId, "leaver", leaverEvents)) {
            Connection first = watcher.next(CREATED).connection();
            leaverEvents.next(CREATED);

            leaver.disconnect();
            leaverEvents.next(DISCONNECTED);
            assertNull(leaver.getConnection());
            assertEquals(List.of(), leaver.getConnections());
            Connection left = watcher.next(DESTROYED).connection();
            assertEquals(Optional.of(DropReason.CLIENT_DISCONNECTED), left.getDropReason());
            leaver.disconnect(); // not connected: nothing happens

            leaver.connect(server.token(sessionId, "leaver"));
            leaverEvents.next(CONNECTED);
            assertEquals(observer.getConnection(), leaverEvents.next(CREATED).connection());
            Connection again = watcher.next(CREATED).connection();
            assertNotEquals(first.getConnectionId(), again.getConnectionId());
            assertEquals(again, leaver.getConnection());
        }
    }

    @Test
    void forceDisconnectThroughTheAdminApi() throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        Recorder victimEvents = new Recorder();
        try (Session observer = join(server, sessionId, "observer", watcher);
                Session victim = join(server, sessionId, "victim", victimEvents)) {
            Connection victimConnection = watcher.next(CREATED).connection();

            server.forceDisconnect(sessionId, victimConnection.getConnectionId());

            Connection left = watcher.next(DESTROYED).connection();
            assertEquals(victimConnection, left);
            assertEquals(Optional.of(DropReason.FORCE_DISCONNECTED), left.getDropReason());
            victimEvents.await(DISCONNECTED);
            assertNull(victim.getConnection());
            assertEquals(List.of(), observer.getConnections());
        }
    }

    @Test
    void suppressedSessionsSeeNobodyButAreSeen() throws Exception {
        String sessionId = newSessionId();
        Recorder watcher = new Recorder();
        Recorder quietEvents = new Recorder();
        try (Session observer = join(server, sessionId, "observer", watcher)) {
            Session quiet = quietEvents.attach(server.session(sessionId).suppressConnectionEvents(true)).build();
            quiet.connect(server.token(sessionId, "quiet"));
            quietEvents.next(CONNECTED);
            assertEquals(quiet.getConnection(), watcher.next(CREATED).connection());

            try (Session third = join(server, sessionId, "third", new Recorder())) {
                assertEquals(third.getConnection(), watcher.next(CREATED).connection());
            }
            watcher.next(DESTROYED);
            quiet.close();
            assertEquals(quiet.getConnection().getConnectionId(), watcher.next(DESTROYED).connection().getConnectionId());
            assertEquals(List.of(), quietEvents.all().stream().filter(e -> e.type() != CONNECTED).toList());
            assertEquals(List.of(), quiet.getConnections());
        }
    }

    @Test
    void listenersRunOnTheExecutorInOrder() throws Exception {
        String sessionId = newSessionId();
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "listener-pool"));
        Recorder watcher = new Recorder();
        try (Session observer = watcher.attach(server.session(sessionId).executor(executor)).build()) {
            observer.connect(server.token(sessionId, "observer"));
            assertEquals("listener-pool", watcher.next(CONNECTED).thread().getName());
            for (int i = 0; i < 5; i++) {
                try (Session visitor = join(server, sessionId, "visitor-" + i, new Recorder())) {
                    assertEquals(visitor.getConnection(), watcher.next(CREATED).connection());
                }
                Recorder.Event left = watcher.next(DESTROYED);
                assertEquals("visitor-" + i, left.connection().getData());
                assertEquals("listener-pool", left.thread().getName());
            }
        } finally {
            executor.shutdown();
        }
    }

    @Test
    void byDefaultListenersRunOnTheBindingsDeliveryThreads() throws Exception {
        Recorder watcher = new Recorder();
        String sessionId = newSessionId();
        try (Session observer = join(server, sessionId, "observer", watcher)) {
            Thread thread = watcher.all().get(0).thread();
            assertTrue(thread.getName().startsWith("rollcall-events-"), thread.getName());
            assertTrue(thread.isDaemon());
        }
    }

    @Test
    void directDeliveryIsOptInAndRunsOnTheLibraryThread() throws Exception {
        Recorder watcher = new Recorder();
        String sessionId = newSessionId();
        try (Session observer = watcher.attach(server.session(sessionId).deliverOnLibraryThread()).build()) {
            observer.connect(server.token(sessionId, "observer"));
            Thread thread = watcher.next(CONNECTED).thread();
            assertEquals("rollcall-libotc", thread.getName());
            assertTrue(thread.isDaemon(), "the library thread is attached as a daemon");
        }
    }

    static Set<String> ids(List<Connection> connections) {
        return connections.stream().map(Connection::getConnectionId).collect(Collectors.toSet());
    }
}
