package org.rollcall.server;

import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's copies of the sessions it serves through Redis ({@link RedisPresence}): each
 * {@link NodeSession} applies its session's events in seq order, from the channel, filling a gap
 * from the session's stream, and fans them out to the node's members. A member that another node
 * ended (the admin, a reaper) or took over (a resume) is let go here; a copy that can no longer be
 * trusted is reset. Each session's part runs on its owner loop.
 */
final class SessionStreams {
    private static final Logger log = LoggerFactory.getLogger(SessionStreams.class);
    private static final long RETRY_MS = 250;

    final ConcurrentHashMap<SessionKey, NodeSession> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NodeSession> byChannel = new ConcurrentHashMap<>();
    /** Connections whose socket or grace is on this node. */
    final AtomicInteger connections = new AtomicInteger();
    private final ServerConfig config;
    private final Metrics metrics;
    private final RedisStore store;
    private final String node;
    private final EventLoop retryLoop;

    SessionStreams(ServerConfig config, Metrics metrics, RedisStore store, String node, EventLoop retryLoop) {
        this.config = config;
        this.metrics = metrics;
        this.store = store;
        this.node = node;
        this.retryLoop = retryLoop;
    }

    /** This node's part of the session, subscribed (or subscribing) to its channel. On the owner loop. */
    NodeSession nodeSession(SessionKey key, EventLoop owner) {
        NodeSession ns = sessions.get(key);
        if (ns == null) {
            ns = new NodeSession(key, owner);
            sessions.put(key, ns);
            byChannel.put(ns.channel, ns);
            ns.subscribed = store.subscribe(ns.channel);
        } else if (ns.subscribed.toCompletableFuture().isCompletedExceptionally()) {
            ns.subscribed = store.subscribe(ns.channel); // it failed while Redis was away: again
        }
        return ns;
    }

    void dropIfIdle(NodeSession ns) {
        if (ns.idle() && sessions.remove(ns.key, ns)) {
            byChannel.remove(ns.channel, ns);
            store.unsubscribe(ns.channel);
        }
    }

    void forget(NodeSession ns, Member member) {
        member.ended = true;
        cancelGrace(member);
        if (ns.session != null && ns.session.members.remove(member.id(), member)) {
            connections.decrementAndGet();
        }
    }

    /** Ends the connection in Redis if it is still this node's; retried while Redis is away. */
    void leaveInRedis(String prefix, String connectionId, Reason reason, int attempt) {
        store.run(RedisStore.Script.LEAVE, prefix, config.logEvents(), connectionId, reason.wireName(), node)
                .whenComplete((reply, error) -> {
                    if (error != null && attempt < 240) { // a minute: then its node's lease is long gone too
                        retryLoop.schedule(() -> leaveInRedis(prefix, connectionId, reason, attempt + 1),
                                RETRY_MS, TimeUnit.MILLISECONDS);
                    }
                });
    }

    /** On Lettuce's thread: an event (or notice) on a session channel. */
    void onMessage(String channel, byte[] message) {
        NodeSession ns = byChannel.get(channel);
        if (ns != null) {
            NodeSession.Envelope envelope;
            try {
                envelope = NodeSession.Envelope.parse(message);
            } catch (RuntimeException e) {
                log.warn("dropped a malformed message on {}: {}", LogText.escape(channel), e.toString());
                return;
            }
            ns.owner.execute(() -> {
                onEnvelope(ns, envelope);
                dropIfIdle(ns);
            });
        }
    }

    /**
     * On Lettuce's thread: a subscription is confirmed. After a reconnect of the pub/sub connection
     * (Lettuce renews the subscriptions), the events published while it was down never come: the
     * node reads them from the stream now, rather than at the session's next event, which a quiet
     * session may never have. (A first subscription has no position yet: its joins wait for it.)
     */
    void onSubscribed(String channel) {
        NodeSession ns = byChannel.get(channel);
        if (ns != null) {
            ns.owner.execute(() -> catchUp(ns));
        }
    }

    /** Reads what the channel may have missed from the stream, unless a fill is on its way. On the owner loop. */
    void catchUp(NodeSession ns) {
        if (ns.session != null && ns.held == null && sessions.get(ns.key) == ns) {
            ns.held = new ArrayDeque<>();
            fill(ns);
        }
    }

    void onEnvelope(NodeSession ns, NodeSession.Envelope envelope) {
        if (sessions.get(ns.key) != ns) {
            return;
        }
        if (envelope.moved()) {
            movedAway(ns, envelope);
            return;
        }
        if (ns.session == null) {
            if (ns.early.size() < config.logEvents()) {
                ns.early.add(envelope);
            }
            return;
        }
        if (envelope.epoch() != ns.session.epoch) {
            if (envelope.epoch() > ns.session.epoch) {
                reset(ns, "the session's state in Redis began a new epoch");
            }
            return;
        }
        if (ns.held != null) {
            ns.held.add(envelope);
            return;
        }
        long next = ns.session.lastSeq() + 1;
        if (envelope.seq() > next) { // missed while the channel was down: fill from the log
            ns.held = new ArrayDeque<>();
            ns.held.add(envelope);
            fill(ns);
        } else if (envelope.seq() == next) {
            apply(ns, envelope);
        }
    }

    private void apply(NodeSession ns, NodeSession.Envelope envelope) {
        Reason reason = envelope.destroyedReason();
        Member member = reason == null ? null : ns.session.members.get(envelope.connectionId());
        if (member != null && !member.ended) { // ended by another node: the admin, or a reaper
            if (reason == Reason.NETWORK_DISCONNECTED) {
                log.warn("connection {} of this node was ended by another node (was this node's lease lapsed?)",
                        member.id());
            }
            Outbox outbox = member.outbox;
            Outbox silent = member.silentOutbox;
            forget(ns, member);
            metrics.departed(reason);
            if (reason == Reason.FORCE_DISCONNECTED && outbox != null) {
                outbox.forceDisconnected(2);
            } else if (outbox != null) {
                outbox.supersede();
            }
            if (silent != null) {
                silent.supersede();
            }
        }
        ns.session.publishAt(envelope.seq(), envelope.payload());
    }

    /** Another node took the member over by a resume: this node lets go of it without an event. */
    private void movedAway(NodeSession ns, NodeSession.Envelope notice) {
        String[] generationAndNode = new String(notice.payload(), StandardCharsets.UTF_8).split(" ", 2);
        Member member = ns.members().get(notice.connectionId());
        if (member == null || generationAndNode[1].equals(node) || Long.parseLong(generationAndNode[0]) <= member.generation) {
            return;
        }
        forget(ns, member);
        for (Outbox outbox : new Outbox[] {member.outbox, member.silentOutbox}) {
            if (outbox != null) {
                outbox.supersede();
            }
        }
    }

    void fill(NodeSession ns) {
        long after = ns.session.lastSeq();
        Session session = ns.session;
        store.run(RedisStore.Script.RANGE, ns.owner, (reply, error) -> {
            if (ns.session != session || session.lastSeq() != after || sessions.get(ns.key) != ns) {
                return; // reset meanwhile
            }
            if (error != null) {
                ns.owner.schedule(() -> fill(ns), RETRY_MS, TimeUnit.MILLISECONDS);
                return;
            }
            if ((Long) reply.get(0) != session.epoch) {
                reset(ns, "the session's state in Redis began a new epoch");
                dropIfIdle(ns);
                return;
            }
            if (!RedisReplies.text(reply.get(1)).equals("ok")) {
                resync(ns);
                dropIfIdle(ns);
                return;
            }
            for (int i = 2; i + 3 < reply.size(); i += 4) {
                long seq = Long.parseLong(RedisReplies.text(reply.get(i + 3)));
                if (seq == session.lastSeq() + 1) {
                    apply(ns, new NodeSession.Envelope(session.epoch, seq, RedisReplies.text(reply.get(i)), RedisReplies.text(reply.get(i + 1)),
                            (byte[]) reply.get(i + 2)));
                }
            }
            ArrayDeque<NodeSession.Envelope> held = ns.held;
            ns.held = null;
            for (NodeSession.Envelope envelope : held) {
                onEnvelope(ns, envelope);
            }
            dropIfIdle(ns);
        }, ns.prefix, after);
    }

    /**
     * This node's copy of the session can no longer be trusted (Redis lost it, or a gap the log no
     * longer holds): its members end here and in Redis, and their sockets close. Their clients
     * resume, get 1006 and join again, with a fresh roster: no ghost, no hole.
     */
    void reset(NodeSession ns, String why) {
        reset(ns, why, false);
    }

    /**
     * As {@link #reset(NodeSession, String)}; with {@code refuse}, each open socket gets error 1023
     * with a retry hint before it closes (this node lost Redis: its client should resume through
     * another node, and will be refused here until Redis is back).
     */
    void reset(NodeSession ns, String why, boolean refuse) {
        if (ns.session != null && !ns.session.members.isEmpty()) {
            log.warn("session {}: {}; closing this node's {} connections of it", LogText.escape(ns.key.sessionId()),
                    why, ns.session.members.size());
            for (Member member : new ArrayList<>(ns.session.members.values())) {
                Outbox outbox = member.outbox;
                Outbox silent = member.silentOutbox;
                forget(ns, member);
                leaveInRedis(ns.prefix, member.id(), Reason.NETWORK_DISCONNECTED, 0);
                if (outbox != null && refuse) {
                    outbox.refuse(ErrorCode.CONNECTION_REFUSED,
                            "this node lost the presence store (Redis); resume through another node");
                } else if (outbox != null) {
                    outbox.supersede();
                }
                if (silent != null) {
                    silent.supersede();
                }
            }
        }
        ns.session = null;
        ns.early.clear();
        ns.held = null;
    }

    /**
     * The node's copy of the session has a gap that the stream no longer holds, but the session
     * lives on in Redis: this node drops its copy and closes its members' sockets without ending
     * them, so each client resumes (through any node) into a snapshot with its own ID, and the
     * others see nothing. A member whose client does not resume within the grace is ended then,
     * unless it has come back to this node or moved to another one (the leave script checks the
     * node).
     */
    private void resync(NodeSession ns) {
        if (ns.session != null && !ns.session.members.isEmpty()) {
            log.warn("session {}: a gap in the session's stream that its log no longer holds; closing this node's {}"
                    + " sockets of it for their clients to resume", LogText.escape(ns.key.sessionId()), ns.session.members.size());
            long graceMs = Math.max(config.graceClosedMs(), config.graceSilentMs());
            for (Member member : new ArrayList<>(ns.session.members.values())) {
                Outbox outbox = member.outbox;
                Outbox silent = member.silentOutbox;
                forget(ns, member);
                for (Outbox socket : new Outbox[] {outbox, silent}) {
                    if (socket != null) {
                        socket.supersede();
                    }
                }
                endUnlessBack(ns, member.id(), graceMs, 0);
            }
        }
        ns.session = null;
        ns.early.clear();
        ns.held = null;
    }

    /** After {@code delayMs}: ends the connection in Redis unless it is this node's again (or on its way). */
    private void endUnlessBack(NodeSession ns, String connectionId, long delayMs, int attempt) {
        retryLoop.schedule(() -> ns.owner.execute(() -> {
            NodeSession now = sessions.get(ns.key);
            if (now != null && now.inFlight > 0 && attempt < 40) {
                endUnlessBack(ns, connectionId, RETRY_MS, attempt + 1); // a resume may be bringing it back here
            } else if (now == null || !now.members().containsKey(connectionId)) {
                leaveInRedis(ns.prefix, connectionId, Reason.NETWORK_DISCONNECTED, 0);
            }
        }), delayMs, TimeUnit.MILLISECONDS);
    }

    static void cancelGrace(Member member) {
        if (member.graceTimer != null) {
            member.graceTimer.cancel(false);
            member.graceTimer = null;
        }
    }
}
