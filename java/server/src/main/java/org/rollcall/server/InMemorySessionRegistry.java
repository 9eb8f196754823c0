package org.rollcall.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of one node. Each session is guarded by its own lock, which assigns the seq and
 * hands the event to every other member's subscriber before letting go: so all members receive
 * the same events in the same order.
 */
public final class InMemorySessionRegistry implements SessionRegistry {
    private final ConcurrentHashMap<SessionKey, Session> sessions = new ConcurrentHashMap<>();
    private final Metrics metrics;

    public InMemorySessionRegistry(Metrics metrics) {
        this.metrics = metrics;
    }

    private static final class Session {
        long lastSeq = -1;
        boolean removed;
        final Map<String, Member> members = new LinkedHashMap<>();
    }

    private static final class Member {
        final ConnectionInfo info;
        Subscriber subscriber;

        Member(ConnectionInfo info, Subscriber subscriber) {
            this.info = info;
            this.subscriber = subscriber;
        }
    }

    @Override
    public void join(SessionKey key, ConnectionInfo connection, Subscriber subscriber, int maxConnections)
            throws SessionFullException {
        while (true) {
            Session session = sessions.computeIfAbsent(key, k -> new Session());
            synchronized (session) {
                if (session.removed) {
                    continue; // emptied and dropped between lookup and lock: take the new one
                }
                if (session.members.size() >= maxConnections) {
                    throw new SessionFullException("session has " + maxConnections + " connections");
                }
                long seq = ++session.lastSeq;
                publish(session, Json.connectionCreated(seq, connection)); // before the joiner is a member
                subscriber.snapshot(seq, others(session, connection.id()));
                session.members.put(connection.id(), new Member(connection, subscriber));
                return;
            }
        }
    }

    @Override
    public boolean attach(SessionKey key, String connectionId, Subscriber subscriber) {
        Session session = sessions.get(key);
        if (session == null) {
            return false;
        }
        synchronized (session) {
            Member member = session.members.get(connectionId);
            if (member == null) {
                return false;
            }
            member.subscriber = subscriber;
            subscriber.snapshot(session.lastSeq, others(session, connectionId));
            return true;
        }
    }

    @Override
    public void detach(SessionKey key, String connectionId, Subscriber subscriber) {
        Session session = sessions.get(key);
        if (session == null) {
            return;
        }
        synchronized (session) {
            Member member = session.members.get(connectionId);
            if (member != null && member.subscriber == subscriber) {
                member.subscriber = null;
            }
        }
    }

    @Override
    public boolean leave(SessionKey key, String connectionId, Reason reason) {
        Session session = sessions.get(key);
        if (session == null) {
            return false;
        }
        synchronized (session) {
            Member member = session.members.remove(connectionId);
            if (member == null) {
                return false;
            }
            long seq = ++session.lastSeq;
            publish(session, Json.connectionDestroyed(seq, member.info, reason)); // it is no longer a member
            if (session.members.isEmpty()) {
                session.removed = true;
                sessions.remove(key, session);
            }
            metrics.departed(reason);
            return true;
        }
    }

    @Override
    public Snapshot snapshot(SessionKey key) {
        Session session = sessions.get(key);
        if (session == null) {
            return new Snapshot(0, List.of());
        }
        synchronized (session) {
            return new Snapshot(Math.max(session.lastSeq, 0), others(session, null));
        }
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * Hands the event, serialized once, to every member (its subject is not one). No copy of the
     * member list: the caller holds the session.
     */
    private static void publish(Session session, byte[] eventJson) {
        for (Member member : session.members.values()) {
            if (member.subscriber != null) {
                member.subscriber.event(eventJson);
            }
        }
    }

    /** A new list, which the caller hands over and nobody changes afterwards. Caller holds the session. */
    private static List<ConnectionInfo> others(Session session, String selfId) {
        List<ConnectionInfo> others = new ArrayList<>(session.members.size());
        for (Member member : session.members.values()) {
            if (!member.info.id().equals(selfId)) {
                others.add(member.info);
            }
        }
        return others;
    }
}
