package org.rollcall.server;

import java.util.concurrent.ScheduledFuture;

/**
 * One connection of a session, across the sockets that carry it: a resume moves it to a new
 * socket, keeping its ID. Its mutable state is guarded by the member itself; see {@link Presence}.
 */
final class Member {
    private final SessionKey session;
    private final ConnectionInfo info;
    private final boolean suppressEvents;

    // Guarded by this.
    Outbox outbox;
    String resumeToken;
    ScheduledFuture<?> graceTimer;
    boolean ended;

    Member(SessionKey session, ConnectionInfo info, boolean suppressEvents) {
        this.session = session;
        this.info = info;
        this.suppressEvents = suppressEvents;
    }

    SessionKey session() {
        return session;
    }

    ConnectionInfo info() {
        return info;
    }

    String id() {
        return info.id();
    }

    boolean suppressEvents() {
        return suppressEvents;
    }
}
