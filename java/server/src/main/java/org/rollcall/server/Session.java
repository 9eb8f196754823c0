package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One life of a session: from its first member until it empties. It has one owner, an event loop;
 * every change to it runs there, in the order submitted, so it needs no lock and all members see
 * one order. Each change takes the next seq and goes into the log and the pending batch. The batch
 * is sent when the loop gets to it: events that arrive meanwhile (a storm) share frames. A frame is
 * encoded once and handed to each member's {@link Outbox} (straight from its memory on epoll without
 * TLS, else as a retained duplicate), in one task per target loop.
 */
final class Session {
    private static final int MAX_FRAME_EVENTS = 4096;
    private static final int DELIVERY_TASK_SOCKETS = 128;
    private static final long LOG_MAX_BYTES = 8L * 1024 * 1024;

    final SessionKey key;
    final EventLoop owner;
    final long epoch;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Map<String, Integer> connectionsPerToken = new HashMap<>();
    private final EventLog log;
    private final Metrics metrics;
    private long lastSeq = -1;
    private final List<byte[]> pending = new ArrayList<>();
    private long pendingFirstSeq;
    private boolean flushScheduled;
    boolean removed;

    Session(SessionKey key, EventLoop owner, long epoch, ServerConfig config, Metrics metrics) {
        this(key, owner, epoch, -1, config, metrics);
    }

    /**
     * A session whose seqs are handed out elsewhere (the Redis sequencer, see {@link RedisPresence}):
     * this node's copy starts after {@code lastSeq}, and takes events through {@link #publishAt}.
     */
    Session(SessionKey key, EventLoop owner, long epoch, long lastSeq, ServerConfig config, Metrics metrics) {
        this.key = key;
        this.owner = owner;
        this.epoch = epoch;
        this.metrics = metrics;
        this.lastSeq = lastSeq;
        long graceMs = Math.max(config.graceClosedMs(), config.graceSilentMs()) + config.heartbeatTimeoutMs();
        this.log = new EventLog(config.logEvents(), graceMs, LOG_MAX_BYTES, lastSeq + 1);
    }

    long lastSeq() {
        return lastSeq;
    }

    /** Appends {@code connection}'s connectionCreated at the next seq for every member; returns its seq. */
    long publishCreated(ConnectionInfo connection) {
        long seq = lastSeq + 1;
        byte[] json = Json.connectionCreated(seq, connection);
        log.append(seq, json, connection, null, System.currentTimeMillis());
        queue(seq, json);
        return seq;
    }

    /** Appends {@code connection}'s connectionDestroyed at the next seq for every member. */
    void publishDestroyed(ConnectionInfo connection, Reason reason) {
        long seq = lastSeq + 1;
        byte[] json = Json.connectionDestroyed(seq, connection, reason);
        log.append(seq, json, connection, reason, System.currentTimeMillis());
        queue(seq, json);
    }

    /** Appends the event at {@code seq}, which must be {@code lastSeq() + 1}, for every member. */
    void publishAt(long seq, byte[] json) {
        log.append(seq, json, System.currentTimeMillis());
        queue(seq, json);
    }

    private void queue(long seq, byte[] json) {
        lastSeq = seq;
        if (pending.isEmpty()) {
            pendingFirstSeq = seq;
        }
        pending.add(json);
        if (!flushScheduled) {
            flushScheduled = true;
            owner.execute(this::flush);
        }
    }

    /** The last seq already handed to the members' sockets: later ones wait in the pending batch. */
    long flushedThrough() {
        return lastSeq - pending.size();
    }

    /** The events a resume from {@code seq} missed, or null if the log no longer reaches back. */
    List<byte[]> eventsAfter(long seq) {
        return seq <= lastSeq && log.reachesBack(seq) ? log.after(seq) : null;
    }

    /** Every member but {@code self} (null: every member), as others see them. */
    List<ConnectionInfo> roster(Member self) {
        // Compared by identity: a member's ID is one more object to read for each of a thousand members.
        List<ConnectionInfo> others = new ArrayList<>(members.size());
        for (Member member : members.values()) {
            if (member != self) {
                others.add(member.info());
            }
        }
        return others;
    }

    /** Sends the pending batch to every member that has not seen it, grouped by the members' loops. */
    private void flush() {
        flushScheduled = false;
        if (pending.isEmpty()) {
            return;
        }
        List<byte[]> events = new ArrayList<>(pending);
        long firstSeq = pendingFirstSeq;
        pending.clear();
        for (int from = 0; from < events.size(); from += MAX_FRAME_EVENTS) {
            int to = Math.min(events.size(), from + MAX_FRAME_EVENTS);
            send(events.subList(from, to), firstSeq + from);
        }
    }

    private void send(List<byte[]> events, long firstSeq) {
        long lastSeqOfBatch = firstSeq + events.size() - 1;
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        EncodedEvents encoded = null;
        Map<EventLoop, List<Object>> byLoop = new HashMap<>();
        EventLoop loop = null; // the loop of the previous member, and its deliveries: members share a few loops
        List<Object> deliveries = null;
        long frames = 0;
        long eventsSent = 0;
        long batched = 0;
        for (Member member : members.values()) {
            Outbox outbox = member.outbox;
            if (outbox == null || member.suppressEvents() || member.fromSeq >= lastSeqOfBatch) {
                continue;
            }
            if (encoded == null) {
                encoded = new EncodedEvents(alloc, events);
            }
            // A member that joined or resumed within this batch gets only what came after it.
            int from = (int) Math.max(0, member.fromSeq + 1 - firstSeq);
            int count = events.size() - from; // counted per member: frames and events delivered
            frames++;
            eventsSent += count;
            batched += count > 1 ? count : 0;
            if (outbox.loop() != loop) {
                loop = outbox.loop();
                deliveries = byLoop.computeIfAbsent(loop, target -> new ArrayList<>(members.size()));
            }
            // Most members get the whole frame, the batch's one buffer shared by the tasks below: for
            // them the outbox alone is the delivery (nothing allocated per member).
            deliveries.add(from == 0 ? outbox : new Outbox.Delivery(outbox, encoded.frameFrom(alloc, from)));
        }
        if (encoded == null) {
            return;
        }
        metrics.eventsFramesSent(frames, eventsSent, batched);
        for (Map.Entry<EventLoop, List<Object>> target : byLoop.entrySet()) {
            // In tasks of at most DELIVERY_TASK_SOCKETS writes: the loop reads its sockets between
            // tasks, so a big session's fan-out does not hold up other sockets' pongs.
            List<Object> all = target.getValue();
            for (int from = 0; from < all.size(); from += DELIVERY_TASK_SOCKETS) {
                List<Object> chunk = all.subList(from, Math.min(all.size(), from + DELIVERY_TASK_SOCKETS));
                SharedFrame whole = encoded.retainedShared(); // each task holds the batch's frame once
                target.getKey().execute(() -> Outbox.deliver(chunk, whole));
            }
        }
        encoded.release();
    }
}
