package org.rollcall.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The frames waiting to go out on one socket: the member's {@code connected} frame and its events.
 *
 * <p>Any thread enqueues (the registry does, while it holds the session); the socket's event loop
 * drains. The first enqueue schedules a flush, and the flush sends everything queued by then, the
 * events concatenated into as few {@code events} frames as fit: a lone event leaves at once, and
 * in a storm the events that piled up meanwhile share a frame. While the socket is not writable the
 * queue holds; past {@link #backlogLimit()} the socket is a slow consumer and is dropped.
 */
final class Outbox implements SessionRegistry.Subscriber {
    static final int MAX_FRAME_CHARS = 1 << 20;
    static final int MAX_FRAME_EVENTS = 10_000;

    private record Item(String json, boolean event) {
    }

    private final Channel channel;
    private final ServerConfig config;
    private final Metrics metrics;
    private final Runnable onOverflow;
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong queuedChars = new AtomicLong();
    private volatile long snapshotChars;
    private volatile boolean closed;

    // Set by Presence before the registry calls snapshot() on the same thread.
    private Member member;
    private boolean resumed;
    private String resumeToken;

    Outbox(Channel channel, ServerConfig config, Metrics metrics, Runnable onOverflow) {
        this.channel = channel;
        this.config = config;
        this.metrics = metrics;
        this.onOverflow = onOverflow;
    }

    /** Who this socket carries, for the {@code connected} frame that the next snapshot produces. */
    void bind(Member member, boolean resumed, String resumeToken) {
        this.member = member;
        this.resumed = resumed;
        this.resumeToken = resumeToken;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public void snapshot(long seq, List<ConnectionInfo> others) {
        List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : others;
        String connected = Json.connected(resumed, member.session().sessionId(), member.info(), resumeToken, seq,
                roster, config);
        snapshotChars = connected.length();
        offer(new Item(connected, false));
    }

    @Override
    public void event(String eventJson) {
        if (!member.suppressEvents()) {
            offer(new Item(eventJson, true));
        }
    }

    private void offer(Item item) {
        if (closed) {
            return;
        }
        queue.add(item);
        if (queuedChars.addAndGet(item.json.length()) > backlogLimit()) {
            discard();
            channel.eventLoop().execute(onOverflow);
            return;
        }
        if (flushScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::flush);
        }
    }

    /** Sends what is queued while the socket is writable. On the event loop. */
    void flush() {
        flushScheduled.set(false);
        boolean wrote = false;
        while (!closed && channel.isWritable()) {
            String frame = nextFrame();
            if (frame == null) {
                break;
            }
            channel.write(new TextWebSocketFrame(frame));
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    /** The next frame: a whole frame, or as many consecutive events as fit in one. Single consumer. */
    private String nextFrame() {
        Item first = queue.poll();
        if (first == null) {
            return null;
        }
        queuedChars.addAndGet(-first.json.length());
        if (!first.event) {
            return first.json;
        }
        StringBuilder frame = new StringBuilder(Json.EVENTS_START).append(first.json);
        int events = 1;
        while (events < MAX_FRAME_EVENTS && frame.length() < MAX_FRAME_CHARS) {
            Item next = queue.peek();
            if (next == null || !next.event) {
                break;
            }
            queue.poll();
            queuedChars.addAndGet(-next.json.length());
            frame.append(',').append(next.json);
            events++;
        }
        metrics.eventsFrameSent(events);
        return frame.append(Json.EVENTS_END).toString();
    }

    /**
     * How much may wait: the configured backlog on top of the roster, which is as large as the
     * session and must not make a member of a big session a slow consumer by itself.
     */
    long backlogLimit() {
        return config.maxBacklogBytes() + snapshotChars;
    }

    /** Outbound bytes waiting (counted as chars: the frames are mostly ASCII): ours and Netty's. */
    long backlogBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return queuedChars.get() + (buffer == null ? 0 : buffer.totalPendingWriteBytes());
    }

    /** Stops accepting and drops what is queued. */
    void discard() {
        closed = true;
        queue.clear();
        queuedChars.set(0);
    }

    /** Another socket took over this connection: drop this one without a word. */
    void supersede() {
        discard();
        channel.close();
    }

    /** Sends one last frame and a close frame; the socket closes when the client answers, or soon. */
    void sendFinal(String frameJson, int closeStatus, String closeReason) {
        discard();
        channel.eventLoop().execute(() -> {
            channel.write(new TextWebSocketFrame(frameJson));
            channel.writeAndFlush(new CloseWebSocketFrame(closeStatus, closeReason));
            Sockets.closeSoon(channel); // unless the client answers the close frame sooner
        });
    }
}
