package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
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
 * members in, applies their events in seq order (filling a gap from the stream) and fans them out
 * to its members through a {@link Session}, on the session's owner loop as in {@link LocalPresence}.
 * So every member on every node sees one {@code (epoch, seq)} order, and a resume works on any node.
 *
 * <p>Each node renews a lease; every node reaps the connections of a node whose lease expired, a
 * grace later ({@code lease.lua}). When Redis is unreachable new connections are refused with 1023;
 * when it comes back without its data, this node ends its connections there and closes their
 * sockets (their resume gets 1006 and they join again), so nobody is left as a ghost.
 */
final class RedisPresence implements Presence {
    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);
    private static final long RETRY_MS = 250;

    private final ServerConfig config;
    private final Metrics metrics;
    private final List<EventLoop> loops = new ArrayList<>();
    private final RedisStore store;
    private final String node;
    private final long leaseMs;
    private final ConcurrentHashMap<SessionKey, NodeSession> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NodeSession> byChannel = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final ScheduledFuture<?> leaseTask;
    private volatile boolean available = true;
    private volatile boolean renewing;
    private volatile String instance;

    RedisPresence(ServerConfig config, Metrics metrics, EventLoopGroup group, RedisConfig redis) throws IOException {
        this.config = config;
        this.metrics = metrics;
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        String label = redis.nodeId() != null ? redis.nodeId() : "node";
        this.node = label + "-" + Tokens.randomString(6);
        this.leaseMs = redis.leaseMs();
        this.store = new RedisStore(redis.uri(), metrics, this::onMessage);
        try {
            store.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            store.close();
            throw new IOException("Redis did not answer: " + e.getMessage(), e);
        }
        leaseTask = group.scheduleAtFixedRate(this::renewLease, 0, leaseMs / 4, TimeUnit.MILLISECONDS);
        log.info("node {} serves sessions through Redis", node);
    }

    String node() {
        return node;
    }

    @Override
    public int connectionCount() {
        return connections.get();
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    private EventLoop ownerOf(SessionKey key) {
        return loops.get(Math.floorMod(key.hashCode(), loops.size()));
    }

    private boolean available() {
        return available && store.connected();
    }

    private static void refuseUnavailable(Outbox outbox) {
        outbox.refuse(ErrorCode.CONNECTION_REFUSED, "the presence store (Redis) is unreachable; retry later");
    }

    /** This node's part of the session, subscribed (or subscribing) to its channel. On the owner loop. */
    private NodeSession nodeSession(SessionKey key, EventLoop owner) {
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

    private void dropIfIdle(NodeSession ns) {
        if (ns.idle() && sessions.remove(ns.key, ns)) {
            byChannel.remove(ns.channel, ns);
            store.unsubscribe(ns.channel);
        }
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
            NodeSession ns = nodeSession(key, owner);
            ns.inFlight++;
            ns.subscribed.thenCompose(unused -> store.run(RedisStore.Script.JOIN, ns.prefix, config.logEvents(),
                            member.id(), member.info().json(), member.tokenNonce(), member.tokenExpiresAtMs(),
                            member.suppressEvents() ? 1 : 0, node, hash(member.resumeToken),
                            config.maxConnectionsPerSession(), config.maxConnectionsPerToken()))
                    .whenComplete((reply, error) -> owner.execute(() -> joined(ns, member, protocol, outbox, reply, error)));
        });
    }

    private void joined(NodeSession ns, Member member, int protocol, Outbox outbox, List<Object> reply, Throwable error) {
        ns.inFlight--;
        NodeSession.Loss loss = ns.lostWhileInFlight.remove(outbox);
        String status = error == null ? text(reply.get(0)) : "error";
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
                leaveInRedis(ns.prefix, member.id(), Reason.NETWORK_DISCONNECTED, 0); // in case it ran
                refuseUnavailable(outbox);
            }
        }
        if (!status.equals("ok")) {
            dropIfIdle(ns);
            return;
        }
        long epoch = (Long) reply.get(1);
        long seq = (Long) reply.get(2);
        List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : connections(reply, 3);
        attach(ns, member, outbox, epoch, seq);
        connections.incrementAndGet();
        outbox.sendConnected(Json.connected(protocol, Json.Catchup.JOIN, ns.key.sessionId(), member.info(),
                member.resumeToken, epoch, seq, roster, config));
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
            NodeSession ns = nodeSession(key, owner);
            ns.inFlight++;
            String newToken = Tokens.randomString(24);
            ns.subscribed.thenCompose(unused -> store.run(RedisStore.Script.RESUME, ns.prefix, connectionId,
                            hash(resumeToken), hash(newToken), node, protocol >= 2 ? epoch : -1, lastSeq))
                    .whenComplete((reply, error) -> owner.execute(() ->
                            resumed(ns, connectionId, newToken, protocol, lastSeq, outbox, reply, error)));
        });
    }

    private void resumed(NodeSession ns, String connectionId, String newToken, int protocol, long lastSeq,
                         Outbox outbox, List<Object> reply, Throwable error) {
        ns.inFlight--;
        NodeSession.Loss loss = ns.lostWhileInFlight.remove(outbox);
        String status = error == null ? text(reply.get(0)) : "error";
        if (!status.equals("replay") && !status.equals("snapshot")) {
            switch (status) {
                case "removed" -> outbox.forceDisconnected(protocol);
                case "unknown" -> outbox.refuse(ErrorCode.CONNECT_FAILED, "connection is unknown or its grace has expired");
                default -> {
                    log.warn("a resume failed in Redis: {}", String.valueOf(error));
                    refuseUnavailable(outbox);
                }
            }
            dropIfIdle(ns);
            return;
        }
        long epoch = (Long) reply.get(1);
        long seq = (Long) reply.get(2);
        JsonNode record = parse((byte[]) reply.get(4));
        Member member = ns.members().get(connectionId);
        if (member == null || member.ended) {
            JsonNode connection = parse((byte[]) reply.get(3));
            ConnectionInfo info = new ConnectionInfo(connectionId, connection.path("data").asText(""),
                    connection.path("creationTime").asLong(), (byte[]) reply.get(3));
            member = new Member(ns.key, info, record.path("sup").asText("0").equals("1"),
                    record.path("nonce").asText(), record.path("exp").asLong());
            connections.incrementAndGet();
        } else {
            cancelGrace(member);
            for (Outbox previous : new Outbox[] {member.outbox, member.silentOutbox}) {
                if (previous != null && previous != outbox) {
                    previous.supersede();
                }
            }
            member.silentOutbox = null;
        }
        member.resumeToken = newToken;
        member.generation = record.path("gen").asLong();
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
            List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : connections(reply, 5);
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
            reset(ns, "the session's state in Redis began a new epoch");
        }
        if (ns.session == null) {
            ns.session = new Session(ns.key, ns.owner, epoch, seq, config, metrics);
            List<NodeSession.Envelope> early = new ArrayList<>(ns.early);
            ns.early.clear();
            for (NodeSession.Envelope envelope : early) {
                if (envelope.epoch() == epoch && envelope.seq() > seq) {
                    onEnvelope(ns, envelope);
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

    @Override
    public void socketLost(SessionKey key, Outbox outbox, long graceMs, boolean silent) {
        ownerOf(key).execute(() -> {
            NodeSession ns = sessions.get(key);
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
            NodeSession ns = sessions.get(key);
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
        forget(ns, member);
        if (member.silentOutbox != null) {
            member.silentOutbox.supersede(); // its grace is over: the silent socket goes too
            member.silentOutbox = null;
        }
        metrics.departed(reason);
        leaveInRedis(ns.prefix, member.id(), reason, 0);
        dropIfIdle(ns);
    }

    private void forget(NodeSession ns, Member member) {
        member.ended = true;
        cancelGrace(member);
        if (ns.session != null && ns.session.members.remove(member.id(), member)) {
            connections.decrementAndGet();
        }
    }

    /** Ends the connection in Redis if it is still this node's; retried while Redis is away. */
    private void leaveInRedis(String prefix, String connectionId, Reason reason, int attempt) {
        store.run(RedisStore.Script.LEAVE, prefix, config.logEvents(), connectionId, reason.wireName(), node)
                .whenComplete((reply, error) -> {
                    if (error != null && attempt < 240) { // a minute: then its node's lease is long gone too
                        loops.get(0).schedule(() -> leaveInRedis(prefix, connectionId, reason, attempt + 1),
                                RETRY_MS, TimeUnit.MILLISECONDS);
                    }
                });
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
                .thenApply(reply -> new Snapshot((Long) reply.get(0), Math.max((Long) reply.get(1), 0), connections(reply, 2)));
    }

    private static String prefix(SessionKey key) {
        return "rc:{" + NodeSession.name(key) + "}:";
    }

    // ---- the session's stream, on the owner loop

    /** On Lettuce's thread: an event (or notice) on a session channel. */
    private void onMessage(String channel, byte[] message) {
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

    private void onEnvelope(NodeSession ns, NodeSession.Envelope envelope) {
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

    private void fill(NodeSession ns) {
        long after = ns.session.lastSeq();
        Session session = ns.session;
        store.run(RedisStore.Script.RANGE, ns.prefix, after).whenComplete((reply, error) -> ns.owner.execute(() -> {
            if (ns.session != session || session.lastSeq() != after || sessions.get(ns.key) != ns) {
                return; // reset meanwhile
            }
            if (error != null) {
                ns.owner.schedule(() -> fill(ns), RETRY_MS, TimeUnit.MILLISECONDS);
                return;
            }
            if (!text(reply.get(1)).equals("ok") || (Long) reply.get(0) != session.epoch) {
                reset(ns, "a gap in the session's stream that its log no longer holds");
                dropIfIdle(ns);
                return;
            }
            for (int i = 2; i + 3 < reply.size(); i += 4) {
                long seq = Long.parseLong(text(reply.get(i + 3)));
                if (seq == session.lastSeq() + 1) {
                    apply(ns, new NodeSession.Envelope(session.epoch, seq, text(reply.get(i)), text(reply.get(i + 1)),
                            (byte[]) reply.get(i + 2)));
                }
            }
            ArrayDeque<NodeSession.Envelope> held = ns.held;
            ns.held = null;
            for (NodeSession.Envelope envelope : held) {
                onEnvelope(ns, envelope);
            }
            dropIfIdle(ns);
        }));
    }

    /**
     * This node's copy of the session can no longer be trusted (Redis lost it, or a gap the log no
     * longer holds): its members end here and in Redis, and their sockets close. Their clients
     * resume, get 1006 and join again, with a fresh roster: no ghost, no hole.
     */
    private void reset(NodeSession ns, String why) {
        if (ns.session != null && !ns.session.members.isEmpty()) {
            log.warn("session {}: {}; closing this node's {} connections of it", LogText.escape(ns.key.sessionId()),
                    why, ns.session.members.size());
            for (Member member : new ArrayList<>(ns.session.members.values())) {
                Outbox outbox = member.outbox;
                Outbox silent = member.silentOutbox;
                forget(ns, member);
                leaveInRedis(ns.prefix, member.id(), Reason.NETWORK_DISCONNECTED, 0);
                for (Outbox socket : new Outbox[] {outbox, silent}) {
                    if (socket != null) {
                        socket.supersede();
                    }
                }
            }
        }
        ns.session = null;
        ns.early.clear();
        ns.held = null;
    }

    // ---- the lease

    private void renewLease() {
        if (renewing) {
            return;
        }
        renewing = true;
        store.run(RedisStore.Script.LEASE, node, leaseMs, config.graceSilentMs(), config.logEvents())
                .whenComplete((reply, error) -> {
                    renewing = false;
                    if (error != null) {
                        if (available) {
                            log.warn("Redis is unreachable ({}): refusing new connections until it is back", error.toString());
                        }
                        available = false;
                        return;
                    }
                    String now = text(reply.get(0));
                    if ((Long) reply.get(1) > 0) {
                        log.warn("ended {} connections of nodes whose lease expired", reply.get(1));
                    }
                    boolean wasAway = !available;
                    if (instance != null && !instance.equals(now)) {
                        log.warn("Redis lost its data (a restart?): ending this node's connections there");
                        sessions.values().forEach(ns -> ns.owner.execute(() -> {
                            reset(ns, "Redis lost its data");
                            dropIfIdle(ns);
                        }));
                    } else if (wasAway) {
                        log.warn("Redis is back");
                        sessions.values().forEach(ns -> ns.owner.execute(() -> {
                            if (ns.session != null && ns.held == null && sessions.get(ns.key) == ns) {
                                ns.held = new ArrayDeque<>(); // catch up on what the channel missed
                                fill(ns);
                            }
                        }));
                    }
                    instance = now;
                    available = true;
                });
    }

    @Override
    public void close() {
        leaseTask.cancel(false);
        store.close();
    }

    // ---- helpers

    private static void cancelGrace(Member member) {
        if (member.graceTimer != null) {
            member.graceTimer.cancel(false);
            member.graceTimer = null;
        }
    }

    private static List<ConnectionInfo> connections(List<Object> reply, int from) {
        List<ConnectionInfo> roster = new ArrayList<>(Math.max(reply.size() - from, 0));
        for (int i = from; i < reply.size(); i++) {
            roster.add(new ConnectionInfo(null, null, 0, (byte[]) reply.get(i)));
        }
        return roster;
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static JsonNode parse(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("malformed record in Redis", e);
        }
    }

    /** Redis keeps a hash of the resume token, not the token. */
    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
