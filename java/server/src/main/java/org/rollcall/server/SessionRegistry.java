package org.rollcall.server;

import java.util.List;

/**
 * Who is in which session, and the session's sequence. Every change to a session takes the next
 * seq and is delivered to the session's other members in seq order; that is the one order all
 * members see. Kept small so that it can move to a shared store for several nodes.
 */
public interface SessionRegistry {

    /** Receives a member's snapshot and events, in seq order. Called while the session is held: must not block. */
    interface Subscriber {
        /** The member's view at {@code seq}: every other member. The list is the subscriber's to keep; nobody changes it. */
        void snapshot(long seq, List<ConnectionInfo> others);

        /** One event object in UTF-8, serialized once and shared by all members: read it, never change it. */
        void event(byte[] eventJson);
    }

    /** A session's seq and members at one moment. */
    record Snapshot(long seq, List<ConnectionInfo> connections) {
    }

    /**
     * Adds a member: its join is the next seq, it gets its snapshot at that seq, and the others get
     * {@code connectionCreated}.
     *
     * @throws SessionFullException if the session already has {@code maxConnections} members
     */
    void join(SessionKey session, ConnectionInfo connection, Subscriber subscriber, int maxConnections)
            throws SessionFullException;

    /**
     * Replaces a member's subscriber (a resumed connection on a new socket) and gives it a fresh
     * snapshot at the current seq. Returns false if the member is not there.
     */
    boolean attach(SessionKey session, String connectionId, Subscriber subscriber);

    /** Stops delivery to the member if {@code subscriber} is still its subscriber; it stays a member. */
    void detach(SessionKey session, String connectionId, Subscriber subscriber);

    /** Removes a member: the others get {@code connectionDestroyed} with the reason. False if not there. */
    boolean leave(SessionKey session, String connectionId, Reason reason);

    /** The session's seq and members; seq 0 and no members for a session that does not exist. */
    Snapshot snapshot(SessionKey session);

    /** Sessions that have at least one member. */
    int sessionCount();

    /** Thrown by {@link #join} when a session is at its limit. */
    final class SessionFullException extends Exception {
        public SessionFullException(String message) {
            super(message, null, false, false);
        }
    }
}
