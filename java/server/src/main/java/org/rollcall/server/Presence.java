package org.rollcall.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rollcall.token.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of each connection on this node: joined on a socket, lost (grace), resumed on another
 * socket, or gone with a reason. A member's lock is taken before its session's lock, never after.
 *
 * <p>Each change names the socket ({@link Outbox}) it comes from, and is ignored when that socket no
 * longer carries the member: so an old socket that dies after a resume cannot end the connection.
 */
final class Presence {
    private static final Logger log = LoggerFactory.getLogger(Presence.class);

    private final SessionRegistry registry;
    private final ServerConfig config;
    private final ScheduledExecutorService timers;
    private final ConcurrentHashMap<String, Member> members = new ConcurrentHashMap<>();

    Presence(SessionRegistry registry, ServerConfig config, ScheduledExecutorService timers) {
        this.registry = registry;
        this.config = config;
        this.timers = timers;
    }

    int connectionCount() {
        return members.size();
    }

    /** Joins a new connection on the socket. */
    Member connect(SessionKey session, ConnectionInfo info, boolean suppressEvents, Outbox outbox)
            throws SessionRegistry.SessionFullException {
        Member member = new Member(session, info, suppressEvents);
        synchronized (member) {
            member.outbox = outbox;
            member.resumeToken = Tokens.randomString(24);
            outbox.bind(member, false, member.resumeToken);
            members.put(member.id(), member);
            try {
                registry.join(session, info, outbox, config.maxConnectionsPerSession());
            } catch (SessionRegistry.SessionFullException e) {
                member.ended = true;
                members.remove(member.id());
                throw e;
            }
        }
        return member;
    }

    /**
     * Moves a known connection to the socket. The socket that carried it, if still open, is dropped
     * silently. Nobody else hears of it.
     *
     * @throws ProtocolException 1006 if the connection is unknown, gone, or the token is wrong
     */
    Member resume(SessionKey session, String connectionId, String resumeToken, Outbox outbox)
            throws ProtocolException {
        Member member = members.get(connectionId);
        if (member == null || !member.session().equals(session)) {
            throw unknownConnection();
        }
        Outbox previous;
        synchronized (member) {
            if (member.ended || !sameToken(member.resumeToken, resumeToken)) {
                throw unknownConnection();
            }
            cancelGrace(member);
            previous = member.outbox;
            member.outbox = outbox;
            member.resumeToken = Tokens.randomString(24);
            outbox.bind(member, true, member.resumeToken);
            if (!registry.attach(session, connectionId, outbox)) {
                end(member, Reason.NETWORK_DISCONNECTED);
                throw unknownConnection();
            }
        }
        if (previous != null) {
            previous.supersede();
        }
        return member;
    }

    /** The socket is gone without a close frame: the member waits out its grace, then leaves. */
    void socketLost(Member member, Outbox outbox, long graceMs) {
        synchronized (member) {
            if (member.ended || member.outbox != outbox) {
                return;
            }
            member.outbox = null;
            registry.detach(member.session(), member.id(), outbox);
            try {
                member.graceTimer = timers.schedule(() -> graceEnded(member), graceMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                end(member, Reason.NETWORK_DISCONNECTED); // the server is stopping
            }
        }
    }

    /** The member leaves at once, if the socket still carries it. */
    void leave(Member member, Outbox outbox, Reason reason) {
        synchronized (member) {
            if (!member.ended && member.outbox == outbox) {
                end(member, reason);
            }
        }
    }

    /** Removes a connection through the admin API. Returns false if there is no such connection. */
    boolean forceDisconnect(SessionKey session, String connectionId) {
        Member member = members.get(connectionId);
        if (member == null || !member.session().equals(session)) {
            return false;
        }
        Outbox outbox;
        synchronized (member) {
            if (member.ended) {
                return false;
            }
            outbox = member.outbox;
            end(member, Reason.FORCE_DISCONNECTED);
        }
        if (outbox != null) {
            outbox.sendFinal(Json.disconnected(Reason.FORCE_DISCONNECTED), 1000, "forceDisconnected");
        }
        return true;
    }

    private void graceEnded(Member member) {
        synchronized (member) {
            if (!member.ended && member.outbox == null) {
                log.debug("connection {} did not resume within its grace", member.id());
                end(member, Reason.NETWORK_DISCONNECTED);
            }
        }
    }

    /** Caller holds the member. */
    private void end(Member member, Reason reason) {
        member.ended = true;
        cancelGrace(member);
        members.remove(member.id());
        registry.leave(member.session(), member.id(), reason);
    }

    private static void cancelGrace(Member member) {
        if (member.graceTimer != null) {
            member.graceTimer.cancel(false);
            member.graceTimer = null;
        }
    }

    private static boolean sameToken(String expected, String candidate) {
        return candidate != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    private static ProtocolException unknownConnection() {
        return new ProtocolException(ErrorCode.CONNECT_FAILED, "connection is unknown or its grace has expired");
    }
}
