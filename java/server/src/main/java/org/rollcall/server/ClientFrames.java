package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;

/**
 * A client's WebSocket after the upgrade, in one handler: decodes its frames (RFC 6455 section 5),
 * keeps the frame rate limit and liveness, and hands what it says to the socket's
 * {@link ConnectionHandler}. It is the socket's only handler past TLS.
 *
 * <p><b>Why not Netty's WebSocket handlers</b> (frame decoder and encoder, protocol handler, UTF-8
 * validator, frame aggregator): memory per idle socket. Each costs every socket an object and a
 * pipeline context, about 600 B together, for frames that are few and small here (issue 10: ≤ 2 KB
 * of heap per idle connection, counted by the ten thousand). The checks are Netty's, with the same
 * outcomes ({@code ClientFramesTest}, {@code BadInputTest}, {@code FrameFuzzTest}): a frame over
 * {@code --max-frame-bytes} is 1413 (close 1009); a malformed frame (unmasked, reserved bits or
 * opcodes, a fragmented or long control frame, a continuation out of place, a length not in its
 * shortest form, an invalid close code, text that is not UTF-8) is 1011 (close 1008); after either
 * the socket closes at once, its input unread. A fragmented message that grows past the limit
 * (1413) and a binary message (1011) end the connection as other errors do, with the usual linger. Pings are answered with a pong carrying their payload. Server frames are encoded by
 * {@link WsFrames}; whole frames are written from this handler's context.
 *
 * <p>The rate limit is a token bucket over frames, kept inline: pings count (each costs us a pong),
 * pongs (they answer our pings) and close frames do not. Past it, every later frame but a close is
 * dropped, and the connection ends with 1429. Any frame that is not dropped is life
 * ({@link ConnectionHandler#heard}); anything but a pong also means the peer is talking.
 */
final class ClientFrames extends ChannelInboundHandlerAdapter {
    private static final int FIN = 0x80;
    private static final int RSV = 0x70;
    private static final int MASKED = 0x80;
    private static final int CONTINUATION = 0x0;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int PONG = 0xA;
    /** {@link #messageOpcode}: no fragmented message is open. */
    private static final int NO_MESSAGE = -1;
    /** {@link #messageOpcode}: a fragmented message is open whose content is dropped (too long, or over the rate). */
    private static final int DROPPED_MESSAGE = -2;

    private final ServerContext server;
    /** The address {@link AdmissionHandler} counted this socket against; given back when it closes. */
    private InetAddress counted;
    private ConnectionHandler connection;
    /** Bytes of a frame not yet whole; null between frames (an idle socket's usual state). */
    private ByteBuf partial;
    /** The content so far of a fragmented message; null unless one is open and kept. */
    private ByteBuf message;
    private int messageOpcode = NO_MESSAGE;
    /** A protocol violation was seen: the socket's input is ignored (its error and close are on their way). */
    private boolean corrupt;
    private boolean exceeded;
    private double tokens;
    private long lastRefillNanos = System.nanoTime();

    ClientFrames(ServerContext server, InetAddress counted) {
        this.server = server;
        this.counted = counted;
        this.tokens = server.config().messageBurst();
    }

    /** Once in the pipeline: the socket's protocol starts; {@code self} is where its frames are written from. */
    void start(ChannelHandlerContext self) {
        connection = new ConnectionHandler(self.channel(), self, server);
        connection.onHandshake();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || corrupt || connection == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf buffer = partial == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), partial, in);
        partial = null;
        try {
            while (!corrupt && decodeFrame(ctx, buffer)) {
                // one frame a turn
            }
        } finally {
            if (buffer.isReadable() && !corrupt && ctx.channel().isOpen()) {
                partial = buffer;
            } else {
                buffer.release();
            }
        }
    }

    /** Decodes and handles one whole frame from the head of {@code buffer}; false when it needs more bytes (or stopped). */
    private boolean decodeFrame(ChannelHandlerContext ctx, ByteBuf buffer) {
        int readable = buffer.readableBytes();
        if (readable < 2) {
            return false;
        }
        int start = buffer.readerIndex();
        int first = buffer.getUnsignedByte(start);
        int second = buffer.getUnsignedByte(start + 1);
        boolean fin = (first & FIN) != 0;
        int opcode = first & 0x0f;
        int shortLength = second & 0x7f;
        if ((first & RSV) != 0) {
            return violation(ctx, "RSV != 0 and no extension negotiated, RSV:" + ((first & RSV) >> 4));
        }
        if ((second & MASKED) == 0) {
            return violation(ctx, "received a frame that is not masked as expected");
        }
        if (opcode >= CLOSE) {
            if (!fin) {
                return violation(ctx, "fragmented control frame");
            }
            if (shortLength > 125) {
                return violation(ctx, "control frame with payload length > 125 octets");
            }
            if (opcode > PONG) {
                return violation(ctx, "control frame using reserved opcode " + opcode);
            }
            if (opcode == CLOSE && shortLength == 1) {
                return violation(ctx, "received close control frame with payload len 1");
            }
        } else if (opcode > BINARY) {
            return violation(ctx, "data frame using reserved opcode " + opcode);
        } else if (opcode == CONTINUATION && messageOpcode == NO_MESSAGE) {
            return violation(ctx, "received continuation data frame outside fragmented message");
        } else if (opcode != CONTINUATION && messageOpcode != NO_MESSAGE) {
            return violation(ctx, "received non-continuation data frame while inside fragmented message");
        }
        int headerBytes = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0) + 4;
        if (readable < headerBytes) {
            return false;
        }
        long length = shortLength;
        if (shortLength == 126) {
            length = buffer.getUnsignedShort(start + 2);
            if (length < 126) {
                return violation(ctx, "invalid data frame length (not using minimal length encoding)");
            }
        } else if (shortLength == 127) {
            length = buffer.getLong(start + 2);
            if (length >= 0 && length < 65_536) {
                return violation(ctx, "invalid data frame length (not using minimal length encoding)");
            }
        }
        if (length < 0 || length > server.config().maxFrameBytes()) {
            corrupt = true;
            tooLong();
            ctx.close(); // as for a violation: the rest of the stream cannot be framed
            return false;
        }
        if (readable - headerBytes < length) {
            return false;
        }
        int payloadAt = start + headerBytes;
        unmask(buffer, buffer.getInt(payloadAt - 4), payloadAt, (int) length);
        ByteBuf payload = buffer.slice(payloadAt, (int) length);
        buffer.readerIndex(payloadAt + (int) length);
        handleFrame(ctx, fin, opcode, payload);
        return true;
    }

    private static void unmask(ByteBuf buffer, int mask, int from, int length) {
        for (int i = 0; i < length; i++) {
            int shift = 24 - ((i & 3) << 3);
            buffer.setByte(from + i, buffer.getByte(from + i) ^ (mask >>> shift));
        }
    }

    private void handleFrame(ChannelHandlerContext ctx, boolean fin, int opcode, ByteBuf payload) {
        long now = System.nanoTime();
        boolean accepted = opcode == PONG || opcode == CLOSE || !exceeded && tryTake(now);
        if (accepted) {
            connection.heard(now, opcode != PONG);
        } else if (!exceeded) {
            exceeded = true;
            connection.onError(ErrorCode.TOO_MANY_MESSAGES, "frames faster than the rate limit");
        }
        switch (opcode) {
            case PING -> {
                if (accepted) {
                    ByteBuf pong = ctx.alloc().buffer(WsFrames.headerLength(payload.readableBytes()) + payload.readableBytes());
                    WsFrames.writeHeader(pong, PONG, true, payload.readableBytes());
                    ctx.writeAndFlush(pong.writeBytes(payload), ctx.voidPromise());
                }
            }
            case PONG -> { } // life, and nothing more
            case CLOSE -> closeFrame(ctx, payload);
            default -> dataFrame(ctx, fin, opcode, payload, accepted);
        }
    }

    private void closeFrame(ChannelHandlerContext ctx, ByteBuf payload) {
        int status = -1;
        if (payload.readableBytes() >= 2) {
            status = payload.getUnsignedShort(payload.readerIndex());
            if (!WebSocketCloseStatus.isValidStatusCode(status)) {
                violation(ctx, "Invalid close frame getStatus code: " + status);
                return;
            }
            if (!ByteBufUtil.isText(payload, payload.readerIndex() + 2, payload.readableBytes() - 2, StandardCharsets.UTF_8)) {
                violation(ctx, "bytes are not UTF-8");
                return;
            }
        }
        connection.onCloseFrame(status);
    }

    /** A text, binary or continuation frame: a whole message is handed on; fragments are put together first. */
    private void dataFrame(ChannelHandlerContext ctx, boolean fin, int opcode, ByteBuf payload, boolean accepted) {
        if (opcode != CONTINUATION) {
            if (fin) {
                if (accepted) {
                    message(ctx, opcode, payload);
                }
                return;
            }
            messageOpcode = accepted ? opcode : DROPPED_MESSAGE;
            if (accepted) {
                message = ctx.alloc().buffer(payload.readableBytes()).writeBytes(payload);
            }
            return;
        }
        if (messageOpcode != DROPPED_MESSAGE) {
            if (!accepted || message.readableBytes() > server.config().maxFrameBytes() - payload.readableBytes()) {
                dropMessage();
                if (accepted) {
                    tooLong();
                }
            } else {
                message.writeBytes(payload);
            }
        }
        if (fin) {
            int whole = messageOpcode;
            ByteBuf content = message;
            messageOpcode = NO_MESSAGE;
            message = null;
            if (whole != DROPPED_MESSAGE) {
                try {
                    message(ctx, whole, content);
                } finally {
                    content.release();
                }
            }
        }
    }

    private void message(ChannelHandlerContext ctx, int opcode, ByteBuf content) {
        if (opcode == BINARY) {
            connection.onError(ErrorCode.INVALID_PARAMETER, "binary frames are not part of the protocol");
        } else if (!ByteBufUtil.isText(content, StandardCharsets.UTF_8)) {
            violation(ctx, "bytes are not UTF-8");
        } else {
            connection.onText(content.toString(StandardCharsets.UTF_8));
        }
    }

    private void dropMessage() {
        if (message != null) {
            message.release();
            message = null;
        }
        messageOpcode = DROPPED_MESSAGE;
    }

    private void tooLong() {
        connection.onError(ErrorCode.DATA_TOO_LONG, "frame is over " + server.config().maxFrameBytes() + " bytes");
    }

    /**
     * The error frame and close frame go out, then the socket closes at once (no linger for the
     * client's answer, which could not be told from the garbage: what Netty's protocol handler did).
     * Always false: decoding stops.
     */
    private boolean violation(ChannelHandlerContext ctx, String why) {
        corrupt = true;
        connection.onError(ErrorCode.INVALID_PARAMETER, "malformed WebSocket frame: " + why);
        ctx.close();
        return false;
    }

    private boolean tryTake(long now) {
        ServerConfig config = server.config();
        tokens = Math.min(config.messageBurst(), tokens + (now - lastRefillNanos) * config.messageRate() / 1e9);
        lastRefillNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (connection != null && ctx.channel().isWritable()) {
            connection.onWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseBuffers();
        if (connection != null) {
            connection.onSocketClosed();
        }
        if (counted != null) {
            server.security().socketClosed(counted);
            counted = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseBuffers();
    }

    private void releaseBuffers() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        if (message != null) {
            message.release();
            message = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (connection == null || cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            ctx.close(); // the socket broke, maybe mid-message (FrameFuzzTest): grace starts when it is inactive
        } else if (cause instanceof RejectedExecutionException) {
            ctx.close(); // the node is stopping: its loops take no more tasks, and its sessions end with it
        } else {
            connection.onInternalError(cause);
        }
    }
}
