package org.rollcall.server;

import io.netty.buffer.ByteBuf;
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
    static final int MAX_FRAME_BYTES = 1 << 20;
    static final int MAX_FRAME_EVENTS = 10_000;

    private final Channel channel;
    private final ServerConfig config;
    private final Metrics metrics;
    private final Runnable onOverflow;
    /** Events (UTF-8 {@code byte[]}, shared by all members) and {@link Json.ConnectedFrame}s, in order. */
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile long snapshotBytes;
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

    /** Keeps {@code others} (the registry hands over a list nobody changes) until the frame is written. */
    @Override
    public void snapshot(long seq, List<ConnectionInfo> others) {
        List<ConnectionInfo> roster = member.suppressEvents() ? List.of() : others;
        Json.ConnectedFrame connected = Json.connected(resumed, member.session().sessionId(), member.info(),
                resumeToken, seq, roster, config);
        snapshotBytes = connected.size();
        offer(connected, connected.size());
    }

    @Override
    public void event(byte[] eventJson) {
        if (!member.suppressEvents()) {
            offer(eventJson, eventJson.length + 1); // + the comma that separates it in a frame
        }
    }

    private void offer(Object item, int bytes) {
        if (closed) {
            return;
        }
        queue.add(item);
        if (queuedBytes.addAndGet(bytes) > backlogLimit()) {
            discard();
            channel.eventLoop().execute(onOverflow);
            return;
        }
        if (!flushScheduled.get() && flushScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::flush);
        }
    }

    /** Sends what is queued while the socket is writable. On the event loop. */
    void flush() {
        flushScheduled.set(false);
        boolean wrote = false;
        while (!closed && channel.isWritable()) {
            ByteBuf frame = nextFrame();
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

    /**
     * The next frame: a {@code connected} frame, or as many consecutive events as fit in one, copied
     * into a pooled buffer. Single consumer.
     */
    private ByteBuf nextFrame() {
        Object first = queue.poll();
        if (first == null) {
            return null;
        }
        if (first instanceof Json.ConnectedFrame connected) {
            queuedBytes.addAndGet(-connected.size());
            ByteBuf frame = channel.alloc().buffer(connected.size());
            connected.writeTo(frame);
            return frame;
        }
        byte[] event = (byte[]) first;
        long taken = event.length + 1;
        long queued = Math.max(queuedBytes.get(), taken); // what is queued now: the frame is rarely larger
        int capacity = (int) Math.min(queued + Json.EVENTS_START.length + Json.EVENTS_END.length,
                MAX_FRAME_BYTES + event.length + Json.EVENTS_END.length);
        ByteBuf frame = channel.alloc().buffer(capacity).writeBytes(Json.EVENTS_START).writeBytes(event);
        int events = 1;
        while (events < MAX_FRAME_EVENTS && frame.writerIndex() < MAX_FRAME_BYTES) {
            if (!(queue.peek() instanceof byte[] next)) {
                break;
            }
            queue.poll();
            taken += next.length + 1;
            frame.writeByte(',').writeBytes(next);
            events++;
        }
        queuedBytes.addAndGet(-taken);
        metrics.eventsFrameSent(events);
        return frame.writeBytes(Json.EVENTS_END);
    }

    /**
     * How much may wait: the configured backlog on top of the roster, which is as large as the
     * session and must not make a member of a big session a slow consumer by itself.
     */
    long backlogLimit() {
        return config.maxBacklogBytes() + snapshotBytes;
    }

    /** Outbound bytes waiting: ours and Netty's. */
    long backlogBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return queuedBytes.get() + (buffer == null ? 0 : buffer.totalPendingWriteBytes());
    }

    /** Stops accepting and drops what is queued. */
    void discard() {
        closed = true;
        queue.clear();
        queuedBytes.set(0);
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
