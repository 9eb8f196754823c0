package org.rollcall.server;

import java.util.Base64;
import java.util.concurrent.ScheduledFuture;

/**
 * One connection of a session, across the sockets that carry it: a resume moves it to a new
 * socket, keeping its ID. Its mutable state belongs to the session's owner event loop (see
 * {@link Session}): only code running there reads or writes it, so it needs no lock.
 */
final class Member {
    private final SessionKey session;
    private final ConnectionInfo info;
    private final boolean suppressEvents;
    private final String tokenNonce;
    private final long tokenExpiresAtMs;

    // Owned by the session's event loop.
    /** The socket that carries it; null while it is in grace. */
    Outbox outbox;
    /** In silent grace: the silent socket, still open, on which a close frame may yet arrive. */
    Outbox silentOutbox;
    /**
     * Its resume token's bytes; the token is their base64url text, made again when it is sent or
     * checked (a join and a resume). Every member holds one for its life: as text it cost 32 B more.
     */
    private byte[] resumeToken;
    ScheduledFuture<?> graceTimer;
    /** Its socket receives the events after this seq (its join, or where its resume left it). */
    long fromSeq;
    /** In silent grace: the last seq handed to the silent socket, from where a revival replays. */
    long silentThrough;
    boolean ended;
    /**
     * With Redis: how many resumes moved it (see resume.lua); a notice of an older move is stale. An
     * int: no connection is resumed 2^31 times, and with the fields above a long took 8 B more a member.
     */
    int generation;

    Member(SessionKey session, ConnectionInfo info, boolean suppressEvents, String tokenNonce, long tokenExpiresAtMs) {
        this.session = session;
        this.info = info;
        this.suppressEvents = suppressEvents;
        this.tokenNonce = tokenNonce;
        this.tokenExpiresAtMs = tokenExpiresAtMs;
    }

    /** The resume token (base64url, as {@code Tokens.randomString} makes it); null before it has one. */
    String resumeToken() {
        return resumeToken == null ? null : Base64.getUrlEncoder().withoutPadding().encodeToString(resumeToken);
    }

    /** {@code token}: base64url without padding, as {@code Tokens.randomString} makes it. */
    void resumeToken(String token) {
        resumeToken = Base64.getUrlDecoder().decode(token);
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

    String tokenNonce() {
        return tokenNonce;
    }

    long tokenExpiresAtMs() {
        return tokenExpiresAtMs;
    }
}
