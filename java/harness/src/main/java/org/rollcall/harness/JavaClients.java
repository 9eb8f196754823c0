package org.rollcall.harness;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.rollcall.Connection;
import org.rollcall.DropReason;
import org.rollcall.RollcallException;
import org.rollcall.Session;

/**
 * Clients through the Java binding ({@link Session}): the JNI path. Each one checks its events the
 * way otc-load does (created once, dropped at most once, never before created, never about
 * itself, in (epoch, seq) order) and keeps its roster for the harness to compare with the server's
 * list; the positions of their events join the cross-process order check ({@link #seqLog}).
 */
final class JavaClients implements AutoCloseable {
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private final List<Violation> violations = new CopyOnWriteArrayList<>();
    private final AtomicLong events = new AtomicLong();
    private final List<Drop> drops = new CopyOnWriteArrayList<>();
    private final JavaSeqLog seqLog = new JavaSeqLog();

    /**
     * A drop a Java client saw, with its protocol reason ({@code clientDisconnected}, ...), for
     * the reason checks of each client (a drop with a position is also in {@link #seqLog}).
     */
    record Drop(String who, String conn, String reason) {
    }

    /** Creates a client and starts connecting it. */
    void add(String wsUrl, String apiKey, String sessionId, String token, String tag) {
        Client client = new Client(clients.size(), sessionId, tag);
        client.session = new Session.Builder(URI.create(wsUrl), apiKey, sessionId)
                .connectionListener(client)
                .sessionListener(client)
                .reconnectionListener(client)
                .build();
        clients.add(client);
        client.session.connect(token);
    }

    int size() {
        return clients.size();
    }

    long connected() {
        return clients.stream().filter(c -> c.state().equals("connected")).count();
    }

    long events() {
        return events.get();
    }

    List<Violation> violations() {
        return List.copyOf(violations);
    }

    /** Clients of the session that hold {@code others} other connections. */
    long full(String sessionId, int others) {
        return clients.stream().filter(c -> c.sessionId.equals(sessionId) && c.state().equals("connected")
                && c.rosterSize() == others).count();
    }

    List<RosterLine> rosters(boolean withIds) {
        List<RosterLine> lines = new ArrayList<>();
        for (Client client : clients) {
            lines.add(client.rosterLine(withIds));
        }
        return lines;
    }

    /** The session's events as the Java clients saw them, by (epoch, seq), for {@link EventOrder}. */
    EventOrder.Log seqLog(String sessionId) {
        return seqLog.log(sessionId);
    }

    /** Every drop seen so far, in the order seen. */
    List<Drop> drops() {
        return List.copyOf(drops);
    }

    /** The connection IDs of the connected clients. */
    List<String> connectedIds() {
        return clients.stream().filter(c -> c.state().equals("connected")).map(c -> c.rosterLine(false).id())
                .toList();
    }

    /** Disconnects up to {@code count} connected clients cleanly; returns their connection IDs. */
    List<String> leaveIds(int count) {
        List<String> ids = new ArrayList<>();
        for (Client client : clients) {
            if (ids.size() < count && client.startLeaving()) {
                ids.add(client.rosterLine(false).id());
                client.session.disconnect();
            }
        }
        return ids;
    }

    /** Disconnects up to {@code count} connected clients cleanly. */
    int leave(int count) {
        int left = 0;
        for (Client client : clients) {
            if (left < count && client.startLeaving()) {
                client.session.disconnect();
                left++;
            }
        }
        return left;
    }

    @Override
    public void close() {
        for (Client client : clients) {
            client.leaving();
            client.session.close();
        }
        clients.clear();
        seqLog.clear();
    }

    private final class Client implements Session.ConnectionListener, Session.SessionListener,
            Session.ReconnectionListener {
        final int index;
        final String sessionId;
        final String tag;
        final JavaSeqLog.Reader reader;
        Session session;
        private final Set<String> present = new HashSet<>();
        private final Set<String> gone = new HashSet<>();
        private String state = "connecting";
        private String ownId = "";
        private int ownChanges;

        Client(int index, String sessionId, String tag) {
            this.index = index;
            this.sessionId = sessionId;
            this.tag = tag;
            this.reader = new JavaSeqLog.Reader("java client " + index, sessionId);
        }

        synchronized String state() {
            return state;
        }

        synchronized int rosterSize() {
            return present.size();
        }

        synchronized boolean startLeaving() {
            if (!state.equals("connected")) {
                return false;
            }
            state = "leaving";
            return true;
        }

        synchronized void leaving() {
            if (state.equals("connected") || state.equals("reconnecting") || state.equals("connecting")) {
                state = "leaving";
            }
        }

        synchronized RosterLine rosterLine(boolean withIds) {
            return new RosterLine("java", index, tag, sessionId, state, ownId, present.size(),
                    RosterHash.of(present), ownChanges, withIds ? List.copyOf(present) : null);
        }

        private void learnOwnId(Session s) {
            Connection own = s.getConnection();
            if (own == null) {
                return;
            }
            String id = own.getConnectionId();
            if (!ownId.isEmpty() && !ownId.equals(id)) {
                ownChanges++;
            }
            ownId = id;
        }

        private void violation(String kind, String id, String detail) {
            violations.add(new Violation("java client " + index + " " + ownId, kind, detail + ": " + id));
        }

        @Override
        public synchronized void onConnectionCreated(Session s, Connection connection) {
            events.incrementAndGet();
            learnOwnId(s);
            String id = connection.getConnectionId();
            if (id.equals(ownId)) {
                violation("self_event", id, "connection created about itself");
            } else if (present.contains(id)) {
                violation("duplicate_created", id, "created while present");
            } else if (gone.contains(id)) {
                violation("recreated", id, "created after it was dropped");
            } else {
                present.add(id);
            }
            violations.addAll(seqLog.saw(reader, "created", connection, ""));
        }

        @Override
        public synchronized void onConnectionDestroyed(Session s, Connection connection, DropReason reason) {
            drops.add(new Drop("java client " + index + " " + ownId, connection.getConnectionId(), wireName(reason)));
            onConnectionDestroyed(s, connection);
            violations.addAll(seqLog.saw(reader, "dropped", connection, wireName(reason)));
        }

        private static String wireName(DropReason reason) {
            if (reason == null) {
                return "none";
            }
            return switch (reason) {
                case CLIENT_DISCONNECTED -> "clientDisconnected";
                case NETWORK_DISCONNECTED -> "networkDisconnected";
                case FORCE_DISCONNECTED -> "forceDisconnected";
            };
        }

        @Override
        public synchronized void onConnectionDestroyed(Session s, Connection connection) {
            events.incrementAndGet();
            learnOwnId(s);
            String id = connection.getConnectionId();
            if (id.equals(ownId)) {
                violation("self_event", id, "connection dropped about itself");
            } else if (present.remove(id)) {
                gone.add(id);
            } else if (gone.contains(id)) {
                violation("dropped_twice", id, "dropped after it was dropped");
            } else {
                gone.add(id);
                violation("dropped_unknown", id, "dropped but never created");
            }
        }

        @Override
        public synchronized void onConnected(Session s) {
            learnOwnId(s);
            state = "connected";
        }

        @Override
        public synchronized void onDisconnected(Session s) {
            state = state.equals("leaving") ? "left" : "ended";
        }

        @Override
        public synchronized void onError(Session s, RollcallException exception) {
            if (state.equals("connecting")) {
                state = "failed";
                violations.add(new Violation("java client " + index, "client_failed", exception.toString()));
            }
        }

        @Override
        public synchronized void onReconnecting(Session s) {
            if (state.equals("connected")) {
                state = "reconnecting";
            }
        }

        @Override
        public synchronized void onReconnected(Session s) {
            learnOwnId(s);
            if (state.equals("reconnecting")) {
                state = "connected";
            }
        }
    }
}
