package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.rollcall.token.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions shared by several nodes through Redis (see docs/scale-out.md). Redis is the sequencer:
 * every join, resume, leave and force is one Lua script ({@link RedisStore}) that hands out the
 * session's next seq, logs the event in the session's capped stream, updates the roster and
 * publishes the event on the session's channel. Each node subscribes to the sessions it has
 * members in, applies their events in seq order (filling a gap from the stream, see
 * {@link SessionStreams}) and fans them out to its members through a {@link Session}, on the session's owner loop as in {@link LocalPresence}.
 * So every member on every node sees one {@code (epoch, seq)} order, and a resume works on any node.
 *
 * <p>Each node renews a lease; every node reaps the connections of a node whose lease expired, a
 * grace later ({@code lease.lua}). When Redis is unreachable new connections are refused with 1023;
 * when it stays so for a whole lease, this node closes its sockets with 1023 too ({@link NodeLease});
 * when it comes back without its data, this node ends its connections there and closes their
 * sockets (their resume gets 1006 and they join again), so nobody is left as a ghost.
 */
final class RedisPresence implements Presence {
    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);

    private final ServerConfig config;
    private final Metrics metrics;
    private final List<EventLoop> loops = new ArrayList<>();
    private final RedisStore store;
    private final String node;
    private final SessionStreams streams;
    private final NodeLease lease;
    /**
     * Joins and resumes sent to Redis and not answered yet. Past {@link #MAX_ADMITTING} a storm's
     * newcomers are refused at once with 1023 and a retry hint instead of queuing on the shared
     * connection, where they would time out (and be retried, and be undone "in case it ran"), and
     * slow down every other script of every node: overload is shed, never amplified.
     */
    private final AtomicInteger admitting = new AtomicInteger();
    static final int MAX_ADMITTING = 64;

    RedisPresence(ServerConfig config, Metrics metrics, EventLoopGroup group, RedisConfig redis) throws IOException {
        this.config = config;
        this.metrics = metrics;
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        String label = redis.nodeId() != null ? redis.nodeId() : "node";
        this.node = label + "-" + Tokens.randomString(6);
        this.store = new RedisStore(redis.uri(), metrics);
        this.streams = new SessionStreams(config, metrics, store, node, loops.get(0));
        store.listen(streams::onMessage, streams::onSubscribed);
        try {
            lease = new NodeLease(store, redis.uri(), metrics, streams, config, node, redis.leaseMs());
        } catch (IOException e) {
            store.close();
            throw e;
        }
        log.info("node {} serves sessions through Redis", node);
    }

    String node() {
        return node;
    }

    @Override
    public SessionKey canonical(SessionKey key) {
        NodeSession session = streams.sessions.get(key);
        return session != null ? session.key : key;
    }

    @Override
    public int connectionCount() {
        return streams.connections.get();
    }

    @Override
    public int sessionCount() {
        return streams.sessions.size();
    }

    private EventLoop ownerOf(SessionKey key) {
        return loops.get(Math.floorMod(key.hashCode(), loops.size()));
    }

    private boolean available() {
        return lease.available() && store.connected();
    }

    /** Counts a join or resume in, or refuses it when too many wait on Redis already. */
    private boolean admit(Outbox outbox) {
        if (admitting.incrementAndGet() > MAX_ADMITTING) {
            admitting.decrementAndGet();
            outbox.refuse(ErrorCode.CONNECTION_REFUSED, "this node has too many joins waiting on the presence store; retry later");
            return false;
        }
        return true;
    }

    private static void refuseUnavailable(Outbox outbox) {
        outbox.refuse(ErrorCode.CONNECTION_REFUSED, "the presence store (Redis) is unreachable; retry later");
    }

    @Override
    public void join(Member member, int protocol, Outbox outbox) {
        SessionKey key = member.session();
        EventLoop owner = ownerOf(key);
        owner.execute(() -> {
            if (!available()) {
                refuseUnavailable(outbox);
                return;
            }
            if (!admit(outbox)) {
                return;
            }
            NodeSession ns = streams.nodeSession(key, owner);
            ns.inFlight++;
            ns.subscribed.whenComplete((unused, failed) -> {
                if (failed != null) {
                    owner.execute(() -> joined(ns, member, protocol, outbox, null, failed));
                    return;
                }
                // Answers reach the owner loop in seq order (see RedisStore.run), as attach needs.
                store.run(RedisStore.Script.JOIN, owner, (reply, error) -> joined(ns, member, protocol, outbox, reply, error),
                        ns.prefix, config.logEvents(), member.id(), member.info().json(), member.tokenNonce(),
                        member.tokenExpiresAtMs(), member.suppressEvents() ? 1 : 0, node,
                        RedisReplies.hash(member.resumeToken()), config.maxConnectionsPerSession(),
                        config.maxConnectionsPerToken());
            });
        });
    }

    private void joined(NodeSession ns, Member member, int protocol, Outbox outbox, List<Object> reply, Throwable error) {
        admitting.decrementAndGet();
        ns.inFlight--;
        NodeSession.Loss loss = ns.lostWhileInFlight.remove(outbox);
        String status = error == null ? RedisReplies.text(reply.get(0)) : "error";
        switch (status) {
            case "ok" -> {
            }
            case "revoked" -> outbox.refuse(ErrorCode.AUTHORIZATION_FAILURE, "token was revoked by a force-disconnect");
            case "session-full" -> outbox.refuse(ErrorCode.CONNECTION_LIMIT_EXCEEDED,
                    "session has " + config.maxConnectionsPerSession() + " connections");
            case "token-full" -> outbox.refuse(ErrorCode.CONNECTION_LIMIT_EXCEEDED,
                    "token has " + config.maxConnectionsPerToken() + " live connections");
            default -> {
                log.warn("a join failed in Redis: {}", String.valueOf(error));
                streams.leaveInRedis(ns.prefix, member.id(), Reason.NETWORK_DISCONNECTED, 0); // in case it ran
                refuseUnavailable(outbox);
            }
        }
        if (!status.equals("ok")) {
            streams.dropIfIdle(ns);
            return;
        }
        long epoch = (Long) reply.get(1);
        long seq = (Long) reply.get(2);
        List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : RedisReplies.connections(reply, 3);
        attach(ns, member, outbox, epoch, seq);
        streams.connections.incrementAndGet();
        outbox.sendConnected(Json.connected(protocol, Json.Catchup.JOIN, ns.key.sessionId(), member.info(),
                member.resumeToken(), epoch, seq, roster, config));
        catchUp(ns, member, outbox, seq);
        applyLoss(ns, member, outbox, loss);
    }

    @Override
    public void resume(SessionKey key, String connectionId, String resumeToken, int protocol, long epoch, long lastSeq,
                       Outbox outbox) {
        EventLoop owner = ownerOf(key);
        owner.execute(() -> {
            if (!available()) {
                refuseUnavailable(outbox);
                return;
            }
            if (!admit(outbox)) {
                return;
            }
            NodeSession ns = streams.nodeSession(key, owner);
            ns.inFlight++;
            String newToken = Tokens.randomString(24);
            ns.subscribed.whenComplete((unused, failed) -> {
                if (failed != null) {
                    owner.execute(() -> resumed(ns, connectionId, newToken, protocol, lastSeq, outbox, null, failed));
                    return;
                }
                store.run(RedisStore.Script.RESUME, owner,
                        (reply, error) -> resumed(ns, connectionId, newToken, protocol, lastSeq, outbox, reply, error),
                        ns.prefix, connectionId, RedisReplies.hash(resumeToken), RedisReplies.hash(newToken), node,
                        protocol >= 2 ? epoch : -1, lastSeq);
            });
        });
    }

    private void resumed(NodeSession ns, String connectionId, String newToken, int protocol, long lastSeq,
                         Outbox outbox, List<Object> reply, Throwable error) {
        admitting.decrementAndGet();
        ns.inFlight--;
        NodeSession.Loss loss = ns.lostWhileInFlight.remove(outbox);
        String status = error == null ? RedisReplies.text(reply.get(0)) : "error";
        if (!status.equals("replay") && !status.equals("snapshot")) {
            switch (status) {
                case "removed" -> outbox.forceDisconnected(protocol);
                case "unknown" -> outbox.refuse(ErrorCode.CONNECT_FAILED, "connection is unknown or its grace has expired");
                default -> {
                    log.warn("a resume failed in Redis: {}", String.valueOf(error));
                    refuseUnavailable(outbox);
                }
            }
            streams.dropIfIdle(ns);
            return;
        }
        long epoch = (Long) reply.get(1);
        long seq = (Long) reply.get(2);
        JsonNode record = RedisReplies.parse((byte[]) reply.get(4));
        Member member = ns.members().get(connectionId);
        if (member == null || member.ended) {
            ConnectionInfo info = new ConnectionInfo(connectionId, (byte[]) reply.get(3));
            member = new Member(ns.key, info, record.path("sup").asText("0").equals("1"),
                    record.path("nonce").asText(), record.path("exp").asLong());
            streams.connections.incrementAndGet();
        } else {
            SessionStreams.cancelGrace(member);
            for (Outbox previous : new Outbox[] {member.outbox, member.silentOutbox}) {
                if (previous != null && previous != outbox) {
                    previous.supersede();
                }
            }
            member.silentOutbox = null;
        }
        member.resumeToken(newToken);
        member.generation = record.path("gen").asInt();
        attach(ns, member, outbox, epoch, seq);
        if (status.equals("replay")) {
            outbox.sendConnected(Json.connected(protocol, Json.Catchup.REPLAY, ns.key.sessionId(), member.info(),
                    newToken, epoch, lastSeq, List.of(), config));
            List<byte[]> missed = new ArrayList<>();
            for (int i = 5; i < reply.size(); i++) {
                missed.add((byte[]) reply.get(i));
            }
            if (!missed.isEmpty() && !member.suppressEvents()) {
                outbox.sendEvents(Json.eventsFrame(ByteBufAllocator.DEFAULT, missed, 0, missed.size()));
            }
        } else {
            List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : RedisReplies.connections(reply, 5);
            outbox.sendConnected(Json.connected(protocol, Json.Catchup.SNAPSHOT, ns.key.sessionId(), member.info(),
                    newToken, epoch, seq, roster, config));
        }
        catchUp(ns, member, outbox, seq);
        applyLoss(ns, member, outbox, loss);
    }

    /** Makes the member this node's, on the socket, at position {@code seq} of the session's stream. */
    private void attach(NodeSession ns, Member member, Outbox outbox, long epoch, long seq) {
        if (ns.session != null && ns.session.epoch != epoch) {
            // Redis began a new life of the session: what this node held of the old one is gone there.
            streams.reset(ns, "the session's state in Redis began a new epoch");
        }
        if (ns.session == null) {
            ns.session = new Session(ns.key, ns.owner, epoch, seq, config, metrics);
            List<NodeSession.Envelope> early = new ArrayList<>(ns.early);
            ns.early.clear();
            for (NodeSession.Envelope envelope : early) {
                if (envelope.epoch() == epoch && envelope.seq() > seq) {
                    streams.onEnvelope(ns, envelope);
                }
            }
        }
        member.ended = false;
        member.outbox = outbox;
        outbox.member = member;
        // Events up to the node's position go out in catchUp; the session's flushes bring the rest.
        member.fromSeq = Math.max(seq, ns.session.lastSeq());
        ns.session.members.put(member.id(), member);
    }

    /** The events this node applied after the member's position, which its own answer did not carry. */
    private void catchUp(NodeSession ns, Member member, Outbox outbox, long seq) {
        if (seq >= ns.session.lastSeq() || member.suppressEvents()) {
            return;
        }
        List<byte[]> events = ns.session.eventsAfter(seq);
        if (events == null) { // cannot happen while results and events arrive in order; never leave a hole
            log.warn("connection {} attached behind this node's log; closing it", member.id());
            end(ns, member, Reason.NETWORK_DISCONNECTED);
            outbox.supersede();
            return;
        }
        outbox.sendEvents(Json.eventsFrame(ByteBufAllocator.DEFAULT, events, 0, events.size()));
    }

    private void applyLoss(NodeSession ns, Member member, Outbox outbox, NodeSession.Loss loss) {
        if (loss == null) {
            return;
        }
        if (loss.reason() != null) {
            end(ns, member, loss.reason());
        } else {
            startGrace(ns, member, outbox, loss.graceMs(), loss.silent());
        }
    }

    /**
     * Not revived in place across nodes: the socket is closed, and the thawed client's own resume
     * (through any node) replays what it missed.
     */
    @Override
    public void revive(SessionKey key, Outbox outbox) {
        outbox.supersede();
    }

    @Override
    public void socketLost(SessionKey key, Outbox outbox, long graceMs, boolean silent) {
        ownerOf(key).execute(() -> {
            NodeSession ns = streams.sessions.get(key);
            Member member = outbox.member;
            if (ns == null) {
                return;
            }
            if (member == null) {
                if (ns.inFlight > 0) {
                    ns.lostWhileInFlight.putIfAbsent(outbox, new NodeSession.Loss(null, graceMs, silent));
                }
                return;
            }
            startGrace(ns, member, outbox, graceMs, silent);
        });
    }

    private void startGrace(NodeSession ns, Member member, Outbox outbox, long graceMs, boolean silent) {
        if (member.ended || member.outbox != outbox || ns.members().get(member.id()) != member) {
            return;
        }
        member.outbox = null;
        member.silentOutbox = silent ? outbox : null;
        member.graceTimer = ns.owner.schedule(() -> {
            if (!member.ended && member.outbox == null && ns.members().get(member.id()) == member) {
                end(ns, member, Reason.NETWORK_DISCONNECTED);
            }
        }, graceMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void leave(SessionKey key, Outbox outbox, Reason reason) {
        ownerOf(key).execute(() -> {
            NodeSession ns = streams.sessions.get(key);
            Member member = outbox.member;
            if (ns == null) {
                return;
            }
            if (member == null) {
                if (ns.inFlight > 0) {
                    ns.lostWhileInFlight.put(outbox, new NodeSession.Loss(reason, 0, false));
                }
                return;
            }
            if (!member.ended && (member.outbox == outbox || member.silentOutbox == outbox)
                    && ns.members().get(member.id()) == member) {
                end(ns, member, reason);
            }
        });
    }

    /** This node ends its member: locally at once, and in Redis (whose event the others then see). */
    private void end(NodeSession ns, Member member, Reason reason) {
        streams.forget(ns, member);
        if (member.silentOutbox != null) {
            member.silentOutbox.supersede(); // its grace is over: the silent socket goes too
            member.silentOutbox = null;
        }
        metrics.departed(reason);
        streams.leaveInRedis(ns.prefix, member.id(), reason, 0);
        streams.dropIfIdle(ns);
    }

    @Override
    public CompletionStage<Boolean> forceDisconnect(SessionKey key, String connectionId) {
        // The node that holds the socket sees the event and sends the client its disconnected frame.
        return store.run(RedisStore.Script.FORCE, prefix(key),
                config.logEvents(), connectionId).thenApply(reply -> (Long) reply.get(0) == 1);
    }

    @Override
    public CompletionStage<Snapshot> snapshot(SessionKey key) {
        return store.run(RedisStore.Script.LIST, prefix(key))
                .thenApply(reply -> new Snapshot((Long) reply.get(0), Math.max((Long) reply.get(1), 0), RedisReplies.connections(reply, 2)));
    }

    private static String prefix(SessionKey key) {
        return "rc:{" + NodeSession.name(key) + "}:";
    }

    @Override
    public void close() {
        lease.close();
        store.close();
    }
}
