package org.rollcall.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.rollcall.token.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory {@link Presence}, the default: one node holds its sessions whole. The life of each connection on this node: joined on a socket, lost (grace), resumed on another
 * socket, or gone with a reason. Every call is handed to the owner loop of the session it names
 * and runs there (see {@link Session}); results go back to the socket through its {@link Outbox}.
 * A socket's calls reach the owner in the order the socket made them.
 *
 * <p>Each change names the socket it comes from and is ignored when that socket no longer carries
 * the member: so an old socket that dies after a resume cannot end the connection.
 */
final class LocalPresence implements Presence {
    private static final Logger log = LoggerFactory.getLogger(LocalPresence.class);

    private final ServerConfig config;
    private final Metrics metrics;
    private final List<EventLoop> loops = new ArrayList<>();
    private final ConcurrentHashMap<SessionKey, Session> sessions = new ConcurrentHashMap<>();
    private final Tombstones tombstones = new Tombstones();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong lastEpoch = new AtomicLong();

    LocalPresence(ServerConfig config, Metrics metrics, EventLoopGroup group) {
        this.config = config;
        this.metrics = metrics;
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        group.scheduleAtFixedRate(tombstones::sweep, 10, 10, TimeUnit.SECONDS);
    }

    @Override
    public SessionKey canonical(SessionKey key) {
        Session session = sessions.get(key);
        return session != null ? session.key : key;
    }

    @Override
    public int connectionCount() {
        return connections.get();
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    /** Every session has one owner loop, the same for every life of the session. */
    private EventLoop ownerOf(SessionKey key) {
        return loops.get(Math.floorMod(key.hashCode(), loops.size()));
    }

    /** An epoch greater than any this node handed out, and than any before a restart (it is a clock). */
    private long nextEpoch() {
        return lastEpoch.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
    }

    /** Joins a new connection on the socket: it gets {@code connected}, or an error. */
    @Override
    public void join(Member member, int protocol, Outbox outbox) {
        ownerOf(member.session()).execute(() -> {
            if (tombstones.isRevoked(member.tokenNonce())) {
                outbox.refuse(ErrorCode.AUTHORIZATION_FAILURE, "token was revoked by a force-disconnect");
                return;
            }
            Session session = sessions.computeIfAbsent(member.session(),
                    key -> new Session(key, ownerOf(key), nextEpoch(), config, metrics));
            if (session.members.size() >= config.maxConnectionsPerSession()) {
                outbox.refuse(ErrorCode.CONNECTION_LIMIT_EXCEEDED,
                        "session has " + config.maxConnectionsPerSession() + " connections");
                return;
            }
            int perToken = session.connectionsPerToken.getOrDefault(member.tokenNonce(), 0);
            if (perToken >= config.maxConnectionsPerToken()) {
                outbox.refuse(ErrorCode.CONNECTION_LIMIT_EXCEEDED,
                        "token has " + config.maxConnectionsPerToken() + " live connections");
                return;
            }
            session.connectionsPerToken.put(member.tokenNonce(), perToken + 1);
            long seq = session.publishCreated(member.info()); // before it is a member
            List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : session.roster(null);
            session.members.put(member.id(), member);
            connections.incrementAndGet();
            attach(session, member, outbox, seq);
            outbox.sendConnected(Json.connected(protocol, Json.Catchup.JOIN, session.key.sessionId(), member.info(),
                    member.resumeToken(), session.epoch, seq, roster, config));
        });
    }

    /**
     * Moves a known connection to the socket. The socket that carried it, if still open, is dropped
     * silently; nobody else hears of it. A v2 client at a position the log still holds gets the
     * events it missed; any other gets the roster. Unknown: 1006. Removed by the admin: terminal.
     */
    @Override
    public void resume(SessionKey key, String connectionId, String resumeToken, int protocol, long epoch, long lastSeq,
                Outbox outbox) {
        ownerOf(key).execute(() -> {
            if (tombstones.isRemoved(connectionId)) {
                outbox.forceDisconnected(protocol);
                return;
            }
            Session session = sessions.get(key);
            Member member = session == null ? null : session.members.get(connectionId);
            if (member == null || !sameToken(member.resumeToken(), resumeToken)) {
                outbox.refuse(ErrorCode.CONNECT_FAILED, "connection is unknown or its grace has expired");
                return;
            }
            cancelGrace(member);
            for (Outbox previous : new Outbox[] {member.outbox, member.silentOutbox}) {
                if (previous != null && previous != outbox) {
                    previous.supersede();
                }
            }
            member.silentOutbox = null;
            member.resumeToken(Tokens.randomString(24));
            List<byte[]> missed = protocol >= 2 && epoch == session.epoch ? session.eventsAfter(lastSeq) : null;
            attach(session, member, outbox, session.lastSeq());
            if (missed != null) {
                outbox.sendConnected(Json.connected(protocol, Json.Catchup.REPLAY, key.sessionId(), member.info(),
                        member.resumeToken(), session.epoch, lastSeq, List.of(), config));
                if (!missed.isEmpty() && !member.suppressEvents()) {
                    outbox.sendEvents(Json.eventsFrame(io.netty.buffer.ByteBufAllocator.DEFAULT, missed, 0, missed.size()));
                }
            } else {
                List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : session.roster(member);
                outbox.sendConnected(Json.connected(protocol, Json.Catchup.SNAPSHOT, key.sessionId(), member.info(),
                        member.resumeToken(), session.epoch, session.lastSeq(), roster, config));
            }
        });
    }

    private static void attach(Session session, Member member, Outbox outbox, long fromSeq) {
        member.outbox = outbox;
        member.fromSeq = fromSeq;
        outbox.member = member;
    }

    /**
     * The socket is gone (closed, or silent and left open): the member waits out its grace, then
     * leaves. A silent socket stays the member's, so that a close frame on it still counts.
     */
    @Override
    public void socketLost(SessionKey key, Outbox outbox, long graceMs, boolean silent) {
        EventLoop owner = ownerOf(key);
        owner.execute(() -> {
            Member member = outbox.member;
            if (member == null || member.ended || member.outbox != outbox) {
                return;
            }
            member.outbox = null;
            member.silentOutbox = silent ? outbox : null;
            member.silentThrough = sessions.get(key).flushedThrough();
            member.graceTimer = owner.schedule(() -> graceEnded(member), graceMs, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public void revive(SessionKey key, Outbox outbox) {
        ownerOf(key).execute(() -> {
            Member member = outbox.member;
            Session session = sessions.get(key);
            if (member == null || member.ended || member.silentOutbox != outbox || session == null) {
                outbox.supersede(); // it resumed elsewhere meanwhile, or is gone
                return;
            }
            List<byte[]> missed = session.eventsAfter(member.silentThrough);
            if (missed == null) {
                outbox.supersede(); // the log no longer reaches back: the client's resume gets a snapshot
                return;
            }
            cancelGrace(member);
            member.silentOutbox = null;
            attach(session, member, outbox, session.lastSeq());
            if (!missed.isEmpty() && !member.suppressEvents()) {
                outbox.sendEvents(Json.eventsFrame(ByteBufAllocator.DEFAULT, missed, 0, missed.size()));
            }
        });
    }

    /** The member leaves at once, if the socket still carries it (or is its silent socket). */
    @Override
    public void leave(SessionKey key, Outbox outbox, Reason reason) {
        ownerOf(key).execute(() -> {
            Member member = outbox.member;
            if (member != null && !member.ended && (member.outbox == outbox || member.silentOutbox == outbox)) {
                end(member, reason);
            }
        });
    }

    /** Removes a connection through the admin API; completes with false if there is no such connection. */
    @Override
    public CompletableFuture<Boolean> forceDisconnect(SessionKey key, String connectionId) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        ownerOf(key).execute(() -> {
            Session session = sessions.get(key);
            Member member = session == null ? null : session.members.get(connectionId);
            if (member == null) {
                done.complete(false);
                return;
            }
            tombstones.remove(member.id(), member.tokenNonce(), member.tokenExpiresAtMs());
            Outbox outbox = member.outbox;
            end(member, Reason.FORCE_DISCONNECTED);
            if (outbox != null) {
                outbox.forceDisconnected(2);
            }
            done.complete(true);
        });
        return done;
    }

    /** The session's position and members. */
    @Override
    public CompletableFuture<Snapshot> snapshot(SessionKey key) {
        CompletableFuture<Snapshot> done = new CompletableFuture<>();
        ownerOf(key).execute(() -> {
            Session session = sessions.get(key);
            done.complete(session == null ? new Snapshot(0, 0, List.of())
                    : new Snapshot(session.epoch, Math.max(session.lastSeq(), 0), session.roster(null)));
        });
        return done;
    }

    private void graceEnded(Member member) {
        if (!member.ended && member.outbox == null) {
            log.debug("connection {} did not resume within its grace", member.id());
            end(member, Reason.NETWORK_DISCONNECTED);
        }
    }

    /** On the owner loop. */
    private void end(Member member, Reason reason) {
        Session session = sessions.get(member.session());
        member.ended = true;
        cancelGrace(member);
        if (member.silentOutbox != null) {
            member.silentOutbox.supersede(); // its grace is over: the silent socket goes too
            member.silentOutbox = null;
        }
        if (session == null || session.members.remove(member.id()) == null) {
            return;
        }
        connections.decrementAndGet();
        session.connectionsPerToken.computeIfPresent(member.tokenNonce(), (nonce, n) -> n > 1 ? n - 1 : null);
        session.publishDestroyed(member.info(), reason); // it is no longer a member
        metrics.departed(reason);
        if (session.members.isEmpty()) {
            session.removed = true;
            sessions.remove(session.key, session);
        }
    }

    private static void cancelGrace(Member member) {
        if (member.graceTimer != null) {
            member.graceTimer.cancel(false);
            member.graceTimer = null;
        }
    }

    private static boolean sameToken(String expected, String candidate) {
        return candidate != null && expected != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }
}
