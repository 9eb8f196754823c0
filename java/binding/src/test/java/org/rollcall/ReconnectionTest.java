package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.rollcall.PresenceTest.join;
import static org.rollcall.PresenceTest.newSessionId;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.DESTROYED;
import static org.rollcall.Recorder.Type.RECONNECTED;
import static org.rollcall.Recorder.Type.RECONNECTING;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A lost connection comes back without ghosts or duplicates. */
class ReconnectionTest {
    private TestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private Session joinFastRetrying(String sessionId, String data, Recorder recorder) throws InterruptedException {
        Session session = recorder.attach(server.session(sessionId)
                        .reconnection(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(20)))
                .build();
        session.connect(server.token(sessionId, data));
        recorder.next(Recorder.Type.CONNECTED);
        return session;
    }

    @Test
    void aDroppedSocketResumesTheSameConnectionUnnoticed() throws Exception {
        String sessionId = newSessionId();
        Recorder observerEvents = new Recorder();
        Recorder droppedEvents = new Recorder();
        try (Session observer = join(server, sessionId, "observer", observerEvents);
                Session dropped = joinFastRetrying(sessionId, "dropped", droppedEvents)) {
            Connection before = dropped.getConnection();
            assertEquals(before, observerEvents.next(CREATED).connection());
            assertEquals(observer.getConnection(), droppedEvents.next(CREATED).connection());

            TestHooks.dropSocket(dropped);
            droppedEvents.next(RECONNECTING);
            droppedEvents.next(RECONNECTED);
            assertEquals(before.getConnectionId(), dropped.getConnection().getConnectionId());
            assertEquals(List.of(observer.getConnection()), dropped.getConnections());

            // A newcomer is the next thing both hear of: nobody left or came twice meanwhile.
            try (Session newcomer = join(server, sessionId, "newcomer", new Recorder())) {
                assertEquals(newcomer.getConnection(), observerEvents.next(CREATED).connection());
                assertEquals(newcomer.getConnection(), droppedEvents.next(CREATED).connection());
            }
        }
    }

    @Test
    void aServerRestartCostsOneDestroyedAndOneCreatedPerPeer() throws Exception {
        String sessionId = newSessionId();
        Recorder annEvents = new Recorder();
        Recorder bobEvents = new Recorder();
        Recorder gone = new Recorder();
        try (Session ann = joinFastRetrying(sessionId, "ann", annEvents);
                Session bob = joinFastRetrying(sessionId, "bob", bobEvents)) {
            Session leaver = joinFastRetrying(sessionId, "leaver", gone);
            Connection oldAnn = ann.getConnection();
            Connection oldBob = bob.getConnection();
            Connection oldLeaver = leaver.getConnection();
            annEvents.await(CREATED, c -> c.equals(oldLeaver));
            bobEvents.await(CREATED, c -> c.equals(oldLeaver));
            int annSeenBefore = annEvents.all().size();
            int bobSeenBefore = bobEvents.all().size();

            server.restart(leaver::close); // the leaver goes while the server is down

            annEvents.await(RECONNECTED);
            bobEvents.await(RECONNECTED);
            Connection newAnn = ann.getConnection();
            Connection newBob = bob.getConnection();
            assertNotEquals(oldAnn.getConnectionId(), newAnn.getConnectionId(), "the new server gave a new ID");
            annEvents.awaitSeen(CREATED, c -> c.equals(newBob));
            bobEvents.awaitSeen(CREATED, c -> c.equals(newAnn));

            assertEquals(List.of(newBob), ann.getConnections());
            assertEquals(List.of(newAnn), bob.getConnections());
            assertReconciled(annEvents.all().subList(annSeenBefore, annEvents.all().size()), oldBob, newBob, oldLeaver);
            assertReconciled(bobEvents.all().subList(bobSeenBefore, bobEvents.all().size()), oldAnn, newAnn, oldLeaver);
        }
    }

    /** Exactly: the old peer and the leaver destroyed (network), the new peer created, once each. */
    private static void assertReconciled(List<Recorder.Event> events, Connection oldPeer, Connection newPeer,
            Connection leaver) {
        List<Recorder.Event> changes = events.stream()
                .filter(e -> e.type() == CREATED || e.type() == DESTROYED)
                .toList();
        assertEquals(3, changes.size(), "events: " + events);
        List<Connection> destroyed = changes.stream().filter(e -> e.type() == DESTROYED).map(Recorder.Event::connection).toList();
        List<Connection> created = changes.stream().filter(e -> e.type() == CREATED).map(Recorder.Event::connection).toList();
        assertEquals(java.util.Set.of(oldPeer, leaver), java.util.Set.copyOf(destroyed), "events: " + events);
        assertEquals(List.of(newPeer), created, "events: " + events);
        for (Connection c : destroyed) {
            assertEquals(Optional.of(DropReason.NETWORK_DISCONNECTED), c.getDropReason());
        }
        assertEquals(RECONNECTING, events.get(0).type(), "events: " + events);
    }
}
