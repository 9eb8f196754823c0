package org.rollcall;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One client in a session, as OpenTok's {@code Connection}: an immutable value, equal to another
 * {@code Connection} with the same ID. Why a connection left comes with the event:
 * {@link Session.ConnectionListener#onConnectionDestroyed(Session, Connection, DropReason)}.
 */
public final class Connection {
    private final String connectionId;
    private final String data;
    private final long creationTimeMillis;
    private final DropReason dropReason;
    /** The delivering event's position; {@link #NO_SEQ}: none. Not part of the identity. */
    private final long eventEpoch;
    private final long eventSeq;

    static final long NO_SEQ = -1;

    Connection(String connectionId, String data, long creationTimeMillis, DropReason dropReason) {
        this(connectionId, data, creationTimeMillis, dropReason, 0, NO_SEQ);
    }

    Connection(String connectionId, String data, long creationTimeMillis, DropReason dropReason, long eventEpoch,
               long eventSeq) {
        this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
        this.data = data == null ? "" : data;
        this.creationTimeMillis = creationTimeMillis;
        this.dropReason = dropReason;
        this.eventEpoch = eventEpoch;
        this.eventSeq = eventSeq;
    }

    /** The ID the server gave this connection; unique for the server's lifetime. */
    public String getConnectionId() {
        return connectionId;
    }

    /** The connection data from the client's token; empty when it has none. */
    public String getData() {
        return data;
    }

    /** When the server accepted the connection (millisecond precision). */
    public Instant getCreationTime() {
        return Instant.ofEpochMilli(creationTimeMillis);
    }

    /**
     * Why the connection left; empty while it is in the session.
     *
     * @deprecated the reason is not part of the connection's identity ({@link #equals} ignores
     *     it); take it from {@link Session.ConnectionListener#onConnectionDestroyed(Session,
     *     Connection, DropReason)}. Kept for existing listeners.
     */
    @Deprecated
    public Optional<DropReason> getDropReason() {
        return Optional.ofNullable(dropReason);
    }

    /**
     * Where the event that delivered this object stands in its session's one order: the
     * {@code connectionCreated} behind {@link Session.ConnectionListener#onConnectionCreated} (also
     * for the connection kept in {@link Session#getConnections()}), or the
     * {@code connectionDestroyed} behind {@code onConnectionDestroyed}. Every member of the session
     * sees the same event at the same position, and positions never go backwards for a session
     * ID (docs/protocol.md), so an application that merges the views of several sessions or
     * processes can deduplicate and order events by it. Empty when the event has no position: a
     * connection from the roster on connecting, from a reconciliation after a reconnection or a
     * resync, and the session's own connection.
     */
    public Optional<EventPosition> getEventPosition() {
        return eventSeq < 0 ? Optional.empty() : Optional.of(new EventPosition(eventEpoch, eventSeq));
    }

    /** This connection as dropped by an event at {@code (epoch, seq)} (seq {@link #NO_SEQ}: none). */
    Connection dropped(DropReason reason, long epoch, long seq) {
        return new Connection(connectionId, data, creationTimeMillis, reason, epoch, seq);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Connection && ((Connection) other).connectionId.equals(connectionId);
    }

    @Override
    public int hashCode() {
        return connectionId.hashCode();
    }

    @Override
    public String toString() {
        return "Connection[id=" + connectionId + ", data=" + data + ", created=" + getCreationTime()
                + (dropReason == null ? "" : ", dropReason=" + dropReason) + "]";
    }
}
