package org.rollcall.server;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The seam between the sockets and where sessions live: {@link LocalPresence} keeps them in this
 * node's memory (the default), {@link RedisPresence} shares them between nodes through Redis.
 * Every call is asynchronous: a socket's calls return at once and their answers (a
 * {@code connected} frame, an error) go back through the socket's {@link Outbox}; the admin calls
 * complete a stage. A socket's calls take effect in the order it made them.
 *
 * <p>Each change names the socket it comes from and is ignored when that socket no longer carries
 * the member: so an old socket that dies after a resume cannot end the connection.
 */
interface Presence extends AutoCloseable {

    /** A session's position and members at one moment, for the admin API. */
    record Snapshot(long epoch, long seq, List<ConnectionInfo> connections) {
    }

    /**
     * The key of this node's live session equal to {@code key}, so that its members share one key
     * and one session ID string (issue 10: heap per idle connection); {@code key} when there is none.
     * Any thread.
     */
    default SessionKey canonical(SessionKey key) {
        return key;
    }

    /** Connections whose socket (or grace) is on this node. */
    int connectionCount();

    /** Sessions with a connection on this node. */
    int sessionCount();

    /** Joins a new connection on the socket: it gets {@code connected}, or an error. */
    void join(Member member, int protocol, Outbox outbox);

    /**
     * Moves a known connection to the socket, with a replay, a snapshot, 1006 (unknown) or a
     * terminal {@code disconnected} (removed by the admin).
     */
    void resume(SessionKey key, String connectionId, String resumeToken, int protocol, long epoch, long lastSeq,
                Outbox outbox);

    /** The socket is gone (closed, or silent and left open): the member waits out its grace, then leaves. */
    void socketLost(SessionKey key, Outbox outbox, long graceMs, boolean silent);

    /**
     * A socket that was found silent spoke again within its grace (a client that was frozen, then
     * thawed): the member goes on on the same socket, with the events it missed meanwhile. If that
     * cannot be done exactly, the socket is closed and the client's own resume takes over.
     */
    void revive(SessionKey key, Outbox outbox);

    /** The member leaves at once, if the socket still carries it (or is its silent socket). */
    void leave(SessionKey key, Outbox outbox, Reason reason);

    /** Removes a connection through the admin API; completes with false if there is no such connection. */
    CompletionStage<Boolean> forceDisconnect(SessionKey key, String connectionId);

    /** The session's position and members. */
    CompletionStage<Snapshot> snapshot(SessionKey key);

    /** Stops background work (the Redis store's connections and timers); the sockets are closed by the server. */
    @Override
    default void close() {
    }
}
