package org.rollcall.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.RejectedExecutionException;

/**
 * Netty glue: turns a socket's frames and events into calls on its {@link ConnectionHandler}. At the
 * upgrade it strips the pipeline to what a WebSocket needs: an idle socket's handlers, contexts and
 * attributes are its memory, times the sockets held.
 */
final class WebSocketFrameHandler extends ChannelInboundHandlerAdapter {
    /** Where {@link WebSocketServerProtocolHandler} keeps the handshaker (an attribute key is found by name). */
    private static final AttributeKey<WebSocketServerHandshaker> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");

    private final ServerContext server;
    private ConnectionHandler connection;
    /** The address {@link AdmissionHandler} counted this socket against; given back when it closes. */
    private InetAddress counted;

    WebSocketFrameHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ChannelPipeline pipeline = ctx.pipeline();
            pipeline.remove(RollcallServer.IDLE_HANDLER);
            pipeline.remove(RollcallServer.ORIGIN_GATE);
            pipeline.remove(RollcallServer.HTTP_API);
            // The admission count is given back when the socket closes, by us: one context fewer.
            AdmissionHandler admission = pipeline.get(AdmissionHandler.class);
            if (admission != null) {
                counted = admission.handOver();
                pipeline.remove(admission);
            }
            // The protocol handler needs its handshaker only to answer close frames, which we answer
            // ourselves (handleCloseFrames is off): drop it and the request's strings it holds.
            ctx.channel().attr(HANDSHAKER).getAndRemove();
            // Frames we send are whole WebSocket frames: written from the encoder's context, they
            // skip the handlers between the pipeline's tail and the encoder (see Outbox).
            ChannelHandlerContext wire = pipeline.context(WebSocketFrameEncoder.class);
            connection = new ConnectionHandler(ctx.channel(), wire != null ? wire : ctx, server);
            pipeline.get(InboundFrames.class).connection = connection;
            connection.onHandshake();
        } else if (event instanceof IdleStateEvent) {
            ctx.close(); // an HTTP socket that went quiet before any upgrade
        } else if (event == InboundFrames.EXCEEDED && connection != null) {
            connection.onError(ErrorCode.TOO_MANY_MESSAGES, "frames faster than the rate limit");
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame) || connection == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (msg instanceof TextWebSocketFrame text) {
                connection.onText(text.text());
            } else if (msg instanceof CloseWebSocketFrame close) {
                connection.onCloseFrame(close.statusCode());
            } else if (msg instanceof BinaryWebSocketFrame) {
                connection.onError(ErrorCode.INVALID_PARAMETER, "binary frames are not part of the protocol");
            } else {
                connection.onError(ErrorCode.INVALID_PARAMETER, "unexpected frame " + msg.getClass().getSimpleName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
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
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (connection == null) {
            ctx.close();
        } else if (isFrameTooBig(cause)) {
            connection.onError(ErrorCode.DATA_TOO_LONG, "frame is over " + server.config().maxFrameBytes() + " bytes");
        } else if (cause instanceof CorruptedFrameException) {
            connection.onError(ErrorCode.INVALID_PARAMETER, "malformed WebSocket frame: " + cause.getMessage());
        } else if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            ctx.close(); // the socket broke, maybe mid-message (FrameFuzzTest): grace starts when it is inactive
        } else if (cause instanceof RejectedExecutionException) {
            ctx.close(); // the node is stopping: its loops take no more tasks, and its sessions end with it
        } else {
            connection.onInternalError(cause);
        }
    }

    private static boolean isFrameTooBig(Throwable cause) {
        return cause instanceof TooLongFrameException
                || cause instanceof CorruptedWebSocketFrameException corrupted
                && corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
    }
}
