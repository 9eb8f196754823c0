package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rollcall.server.ServerConfig;

/**
 * A thousand sessions in one JVM: every one gets its own events, although all share one callback
 * object per kind of event (JavaCPP would give an eleventh callback object a NULL pointer).
 */
@Timeout(180)
class ManySessionsTest {
    private static final int ROOMS = 10;
    private static final int PER_ROOM = 100;

    private static void count(java.util.Map<String, AtomicInteger> happenings, String what) {
        happenings.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    @Test
    void aThousandSessionsEachSeeTheirOwnRoom() throws Exception {
        int total = ROOMS * PER_ROOM;
        CountDownLatch connected = new CountDownLatch(total);
        CountDownLatch rostersComplete = new CountDownLatch(total);
        CountDownLatch allGone = new CountDownLatch(1);
        AtomicInteger errors = new AtomicInteger();
        java.util.Map<String, AtomicInteger> happenings = new java.util.concurrent.ConcurrentHashMap<>();
        List<Session> sessions = new ArrayList<>();
        long start = System.nanoTime();
        // Patient heartbeats: on a busy 2-core machine a thousand sockets must not time out.
        ServerConfig patient = ServerConfig.builder().heartbeatTimeoutMs(15_000).graceSilentMs(5_000).build();
        try (TestServer server = TestServer.start(patient)) {
            String lastRoom = "room-" + (ROOMS - 1);
            try {
                for (int room = 0; room < ROOMS; room++) {
                    String sessionId = "room-" + room;
                    // Rooms connect one after the other: a thousand handshakes at once on 2 busy cores
                    // tests the machine, not the binding.
                    CountDownLatch roomConnected = new CountDownLatch(PER_ROOM);
                    for (int i = 0; i < PER_ROOM; i++) {
                        AtomicInteger others = new AtomicInteger();
                        Session session = server.session(sessionId)
                                .heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(15))
                                .sessionListener(new Session.SessionListener() {
                                    @Override
                                    public void onConnected(Session s) {
                                        roomConnected.countDown();
                                        connected.countDown();
                                    }

                                    @Override
                                    public void onError(Session s, RollcallException e) {
                                        errors.incrementAndGet();
                                        count(happenings, "error " + e.getCode());
                                    }

                                    @Override
                                    public void onDisconnected(Session s) {
                                        count(happenings, "disconnected");
                                    }
                                })
                                .reconnectionListener(new Session.ReconnectionListener() {
                                    @Override
                                    public void onReconnecting(Session s) {
                                        count(happenings, "reconnecting");
                                    }

                                    @Override
                                    public void onReconnected(Session s) {
                                        count(happenings, "reconnected");
                                    }
                                })
                                .connectionListener(new Session.ConnectionListener() {
                                    @Override
                                    public void onConnectionCreated(Session s, Connection c) {
                                        if (!c.getData().startsWith("member-") || !s.getSessionId().equals(sessionId)) {
                                            errors.incrementAndGet();
                                        }
                                        if (others.incrementAndGet() == PER_ROOM - 1) {
                                            rostersComplete.countDown();
                                        }
                                    }

                                    @Override
                                    public void onConnectionDestroyed(Session s, Connection c) {
                                        count(happenings, "destroyed " + c.getDropReason().orElse(null));
                                        if (s.getSessionId().equals(lastRoom) && others.decrementAndGet() == 0) {
                                            allGone.countDown();
                                        }
                                    }
                                })
                                .build();
                        sessions.add(session);
                        session.connect(server.token(sessionId, "member-" + i));
                    }
                    assertTrue(roomConnected.await(60, TimeUnit.SECONDS), sessionId + " did not connect");
                }
                assertTrue(connected.await(90, TimeUnit.SECONDS),
                        "connected: " + (total - connected.getCount()) + ", errors: " + errors.get());
                assertTrue(rostersComplete.await(60, TimeUnit.SECONDS),
                        "sessions with a complete roster: " + (total - rostersComplete.getCount()));
                long joinedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                for (Session session : sessions) {
                    assertEquals(PER_ROOM - 1, session.getConnections().size(), session + ", events: " + happenings);
                }
                assertEquals(0, errors.get());

                // The last room empties: its last member sees all the others leave.
                for (Session session : sessions.subList(total - PER_ROOM, total - 1)) {
                    session.close();
                }
                assertTrue(allGone.await(30, TimeUnit.SECONDS));
                assertEquals(List.of(), sessions.get(total - 1).getConnections());
                System.out.printf("%d sessions in %d rooms: all joined with full rosters in %d ms%n",
                        total, ROOMS, joinedMs);
            } finally {
                sessions.forEach(Session::close);
            }
        }
    }
}
