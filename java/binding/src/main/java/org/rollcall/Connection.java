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

    Connection(String connectionId, String data, long creationTimeMillis, DropReason dropReason) {
        this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
        this.data = data == null ? "" : data;
        this.creationTimeMillis = creationTimeMillis;
        this.dropReason = dropReason;
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

    Connection dropped(DropReason reason) {
        return new Connection(connectionId, data, creationTimeMillis, reason);
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
