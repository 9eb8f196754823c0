package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The frames waiting to go out on one socket, and the way back from a session's owner loop to the
 * socket: every method an owner calls hops to the socket's event loop, in the order called, so a
 * member gets its {@code connected} frame before the events that follow it.
 *
 * <p>Frames are written while the socket is writable and wait here while it is not. A roster is
 * encoded only as the socket drains, in fragments of {@link #ROSTER_CHUNK_BYTES}, so a joiner that
 * does not read pins the list of connections, not their encoding. Past its backlog bound, or when
 * it has not drained for the drain timeout, the socket is a slow consumer (1503).
 *
 * <p>Frames are whole WebSocket frames, so they are written from the {@link #wire} context, that of
 * {@link ClientFrames}, the socket's last handler: straight to the socket (through TLS when it is
 * on), not through every handler of the pipeline from its tail. A batch's frame for a socket that is writable and has
 * nothing waiting is written and flushed at once, with no bookkeeping: the common case of a fan-out.
 * On epoll without TLS it goes further: the batch's one buffer is handed to the kernel straight
 * from its memory, one send() per member, with no duplicate, no entry in Netty's outbound buffer and
 * no reference count touched; whatever the kernel does not take goes through Netty as before. That
 * is most of the user-space CPU of a lone event's fan-out (issue 10: CPU per member frame).
 */
final class Outbox {
    static final int ROSTER_CHUNK_BYTES = 64 * 1024;

    /**
     * A frame of its own for one socket, from a session's batch (the delivery owns it): for a member
     * that joined or resumed within the batch. The others' delivery is their Outbox alone, for the
     * batch's whole frame, which the socket's loop task holds for all its deliveries.
     */
    record Delivery(Outbox outbox, ByteBuf frame) {
    }

    private final Channel channel;
    /** The socket's event loop: fixed for the channel's life, kept here so a fan-out's walk reads one object less. */
    private final EventLoop loop;
    /** {@link ClientFrames}' context: a write from it reaches only the handlers nearer the socket (TLS). */
    private final ChannelHandlerContext wire;
    private final ConnectionHandler handler;
    private final ServerConfig config;
    private final OutboundBudget budget;
    /** The socket, for frames written straight from a shared buffer: epoll without TLS; else null. */
    private final Socket socket;
    /**
     * Netty's outbound buffer of the channel (with {@link #socket}): it is the same object while the
     * socket is open, so the direct send reads it here instead of through the channel and its unsafe.
     */
    private final ChannelOutboundBuffer outbound;

    /** The member this socket carries. Read and written only on the member's session's owner loop. */
    Member member;

    // The socket's event loop only.
    /** What waits; null while nothing does (most sockets, most of the time). */
    private Backlog backlog;
    private long writtenBytes; // ever handed to the socket (see ConnectionHandler's heartbeat)
    private boolean closed;

    /**
     * The frames waiting for the socket to drain, and their accounts: made when the first frame
     * must wait, dropped when the last is written. An idle socket holds none of it: as fields of the
     * Outbox they cost each socket 40 B.
     */
    private static final class Backlog {
        /** ByteBuf frames and Json.ConnectedFrames. */
        final ArrayDeque<Object> queue = new ArrayDeque<>(4);
        long queuedBytes;
        long rosterBytes;
        /** What this socket holds against the node's budget: frames' bytes, a roster's memory (see {@link #held}). */
        long budgeted;
        int rosterNext = -1; // the roster entry the next fragment starts with; -1: head not yet written
        long lastProgressNanos = System.nanoTime();
    }

    Outbox(Channel channel, ChannelHandlerContext wire, ConnectionHandler handler, ServerConfig config,
            OutboundBudget budget) {
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.wire = wire;
        this.handler = handler;
        this.config = config;
        this.budget = budget;
        // TLS must see every byte, and only epoll's socket takes a write from memory here.
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer(); // null once the channel is closed
        boolean direct = out != null && channel instanceof EpollSocketChannel
                && channel.pipeline().get(SslHandler.class) == null;
        this.socket = direct ? (Socket) ((EpollSocketChannel) channel).fd() : null;
        this.outbound = direct ? out : null;
    }

    EventLoop loop() {
        return loop;
    }

    // ---- called on the owner loop

    void sendConnected(Json.ConnectedFrame frame) {
        loop().execute(() -> {
            if (!closed) {
                enqueue(frame, frame.size());
                drain();
            }
        });
    }

    void sendEvents(ByteBuf frame) {
        loop().execute(() -> {
            enqueue(frame, frame.readableBytes());
            drain();
        });
    }

    void refuse(ErrorCode code, String message) {
        loop().execute(() -> handler.onError(code, message));
    }

    void forceDisconnected(int protocol) {
        loop().execute(() -> handler.onForceDisconnected(protocol));
    }

    /** Another socket took over this connection: drop this one without a word. */
    void supersede() {
        loop().execute(handler::onSuperseded);
    }

    // ---- on the socket's loop

    /**
     * Hands each frame to its socket (each socket is in a batch's deliveries once) and sends what each
     * can take. A delivery is an Outbox, for {@code whole}, the batch's frame, or a {@link Delivery}
     * with a frame of its own. This task holds one reference to {@code whole} and drops it at the end.
     */
    static void deliver(List<Object> deliveries, SharedFrame whole) {
        try {
            for (Object delivery : deliveries) {
                if (delivery instanceof Outbox outbox) {
                    outbox.sendShared(whole);
                } else {
                    Delivery own = (Delivery) delivery;
                    own.outbox().send(own.frame());
                }
            }
        } finally {
            whole.frame.release();
        }
    }

    /**
     * A batch's frame that other sockets share (the caller keeps its reference): straight from its
     * memory to the kernel when nothing waits; a retained view of what is left otherwise.
     */
    private void sendShared(SharedFrame shared) {
        ByteBuf frame = shared.frame;
        int bytes = frame.readableBytes();
        if (directWritePossible(bytes)) {
            int sent = sendDirect(frame);
            writtenBytes += bytes;
            if (sent < bytes) { // the kernel's buffer is full: the rest waits in Netty's, as any write would
                wire.writeAndFlush(frame.retainedSlice(frame.readerIndex() + sent, bytes - sent), wire.voidPromise());
            }
            return;
        }
        if (mayWriteNow(bytes)) {
            writtenBytes += bytes;
            wire.writeAndFlush(frame.retainedDuplicate(), wire.voidPromise());
            return;
        }
        enqueue(shared, bytes);
        drain();
    }

    /**
     * True when a frame of {@code bytes} may go straight to the socket: epoll without TLS, the socket
     * open and writable, and no byte waiting before it, in our queue or in Netty's outbound buffer
     * (flushed or not), so the order of the bytes on the wire is the order of the writes.
     */
    private boolean directWritePossible(int bytes) {
        // The socket's own state (channel.isOpen() is socket.isOpen() on epoll) and the outbound
        // buffer's (channel.isWritable() is outbound.isWritable() while it is open): the checks of a
        // write through Netty, read from two objects instead of four, a fan-out touching a thousand.
        return socket != null && !closed && nothingWaits() && bytes <= config.maxBacklogBytes() && socket.isOpen()
                && outbound.isWritable() && outbound.isEmpty() && outbound.totalPendingWriteBytes() == 0;
    }

    /** Bytes the kernel took of {@code frame} (0 when its buffer is full or the write failed). */
    private int sendDirect(ByteBuf frame) {
        if (!frame.hasMemoryAddress()) {
            return 0;
        }
        try {
            return socket.sendAddress(frame.memoryAddress(), frame.readerIndex(), frame.writerIndex());
        } catch (IOException e) {
            return 0; // the write through Netty meets the same error and closes the socket its usual way
        }
    }

    /**
     * A batch's frame: straight to the socket when nothing waits before it and the socket takes it
     * (what {@link #enqueue} then {@link #drain} would do, without the queue and the budget's
     * shared counter); otherwise behind what waits.
     */
    private void send(ByteBuf frame) {
        int bytes = frame.readableBytes();
        if (mayWriteNow(bytes)) {
            writtenBytes += bytes;
            wire.writeAndFlush(frame, wire.voidPromise());
            return;
        }
        enqueue(frame, bytes);
        drain();
    }

    /** Nothing waits before a frame of {@code bytes}, and Netty's buffer takes it. */
    private boolean mayWriteNow(int bytes) {
        return !closed && nothingWaits() && bytes <= config.maxBacklogBytes() && channel.isWritable();
    }

    /** A control frame (a ping), ahead of any backlog: it is for the peer's liveness, not an event. */
    void writeControl(ByteBuf frame) {
        writtenBytes += frame.readableBytes();
        wire.writeAndFlush(frame, wire.voidPromise());
    }

    long writtenBytes() {
        return writtenBytes;
    }

    /** {@code frame}: a ByteBuf (the backlog takes its reference), a SharedFrame or a roster. */
    private void enqueue(Object frame, long bytes) {
        if (closed) {
            if (!(frame instanceof SharedFrame)) {
                release(frame);
            }
            return;
        }
        if (backlog == null) {
            backlog = new Backlog(); // its clock starts now: nothing waited before
        }
        Backlog waiting = backlog;
        waiting.queue.add(frame);
        waiting.queuedBytes += bytes;
        if (frame instanceof Json.ConnectedFrame) {
            waiting.rosterBytes += bytes;
        }
        if (frame instanceof SharedFrame shared) {
            shared.enterBacklog(budget); // counted once for the node, whoever else waits for it
        } else {
            long held = held(frame, bytes);
            waiting.budgeted += held;
            budget.add(held);
        }
        if (waiting.queuedBytes - waiting.rosterBytes > config.maxBacklogBytes()) {
            handler.onSlowConsumer("outbound backlog over " + config.maxBacklogBytes() + " bytes");
        } else if (budget.exceeded() && !channel.isWritable()) {
            handler.onSlowConsumer("the node's outbound budget is spent and this socket does not drain");
        }
    }

    /** Writes what is waiting while the socket is writable. */
    void drain() {
        boolean wrote = false;
        while (!closed && !nothingWaits() && channel.isWritable()) {
            Object head = backlog.queue.peek();
            if (head instanceof SharedFrame shared) {
                backlog.queue.poll();
                int bytes = shared.frame.readableBytes();
                taken(bytes, 0);
                shared.leaveBacklog(budget);
                writtenBytes += bytes;
                wire.write(shared.frame.duplicate(), wire.voidPromise()); // the backlog's reference goes with it
            } else if (head instanceof ByteBuf frame) {
                backlog.queue.poll();
                taken(frame.readableBytes(), frame.readableBytes());
                writtenBytes += frame.readableBytes();
                wire.write(frame, wire.voidPromise());
            } else {
                writeRosterFragment((Json.ConnectedFrame) head);
            }
            wrote = true;
        }
        if (wrote) {
            if (backlog != null) {
                backlog.lastProgressNanos = System.nanoTime();
            }
            wire.flush();
        }
        if (backlog != null && backlog.queue.isEmpty()) {
            backlog = null; // its bytes and budget all went out with its frames
        }
    }

    /** The kernel took bytes from Netty's buffer (the peer reads), though none of ours moved yet. */
    void progressed(long nowNanos) {
        if (backlog != null) {
            backlog.lastProgressNanos = nowNanos;
        }
    }

    /**
     * Whether the socket is inside a fragmented message (a roster partly written): a text frame now
     * would break the WebSocket framing, only a control frame may come between fragments.
     */
    boolean insideMessage() {
        return backlog != null && backlog.rosterNext >= 0;
    }

    /** How long frames have waited without the socket taking any; 0 when nothing waits. */
    long stalledNanos(long nowNanos) {
        return nothingWaits() ? 0 : nowNanos - backlog.lastProgressNanos;
    }

    /** Stops accepting and frees what waits. */
    void discard() {
        closed = true;
        if (backlog != null) {
            for (Object frame : backlog.queue) {
                if (frame instanceof SharedFrame shared) {
                    shared.leaveBacklog(budget);
                    shared.frame.release();
                } else {
                    release(frame);
                }
            }
            budget.add(-backlog.budgeted);
            backlog = null;
        }
    }

    private boolean nothingWaits() {
        return backlog == null || backlog.queue.isEmpty();
    }

    /** {@code bytes} of the backlog went out, and {@code held} of the budget with them. */
    private void taken(long bytes, long held) {
        backlog.queuedBytes -= bytes;
        backlog.budgeted -= held;
        budget.add(-held);
    }

    /**
     * The memory a waiting frame holds: a frame its bytes; a roster, encoded only as the socket drains,
     * a reference per member and its head and tail, not the size of its encoding. Counting a storm's
     * rosters at their encoded size (a joiner of 5000 waits with ~700 KB of them) spent the node's
     * budget on memory never held and dropped readers that were only behind (1503).
     */
    private static long held(Object frame, long bytes) {
        if (frame instanceof Json.ConnectedFrame connected) {
            return connected.head().length + connected.tail().length + 8L * connected.roster().size();
        }
        return bytes;
    }

    /**
     * The next fragment of a {@code connected} frame: as many roster entries as fit in a chunk. A
     * small frame goes out whole, unfragmented.
     */
    private void writeRosterFragment(Json.ConnectedFrame frame) {
        List<ConnectionInfo> roster = frame.roster();
        Backlog waiting = backlog;
        boolean first = waiting.rosterNext < 0;
        int start = first ? 0 : waiting.rosterNext;
        long payload = first ? frame.head().length : 0;
        int end = start;
        while (end < roster.size() && (payload < ROSTER_CHUNK_BYTES || end == start && !first)) {
            payload += roster.get(end).json().length + (end > 0 ? 1 : 0);
            end++;
        }
        boolean last = end == roster.size();
        if (last) {
            payload += frame.tail().length;
        }
        ByteBuf out = channel.alloc().directBuffer((int) (WsFrames.headerLength(payload) + payload));
        WsFrames.writeHeader(out, first ? WsFrames.OPCODE_TEXT : WsFrames.OPCODE_CONTINUATION, last, payload);
        if (first) {
            out.writeBytes(frame.head());
        }
        for (int i = start; i < end; i++) {
            if (i > 0) {
                out.writeByte(',');
            }
            out.writeBytes(roster.get(i).json());
        }
        if (last) {
            out.writeBytes(frame.tail());
            waiting.queue.poll();
            waiting.rosterNext = -1;
            waiting.rosterBytes -= frame.size();
        } else {
            waiting.rosterNext = end;
        }
        taken(payload, last ? held(frame, frame.size()) : 0);
        writtenBytes += out.readableBytes();
        wire.write(out, wire.voidPromise());
    }

    private static void release(Object frame) {
        if (frame instanceof ByteBuf buffer) {
            buffer.release();
        }
    }
}
