package org.rollcall.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Every inbound WebSocket frame of a socket, before the WebSocket protocol handler (which answers
 * pings and swallows pongs), so it sees them all. It does two things, in one handler because a
 * handler costs every socket a pipeline context (idle connections are counted by the ten thousand):
 *
 * <ul>
 *   <li><b>Liveness.</b> Any frame is life: it tells the socket's {@link ConnectionHandler} (once
 *   the upgrade made one), which keeps the times on itself, so its heartbeat tick reads no other
 *   object. A pong only answers our ping; any other frame (a v1 client's own ping, a text frame)
 *   means the peer is talking, so our next ping can be skipped.</li>
 *   <li><b>The frame rate limit</b>, a token bucket kept inline: pings count (each costs us a pong);
 *   pongs (they answer our pings) and close frames do not. Past the limit it drops every further
 *   frame and tells the socket's handler once, with {@link #EXCEEDED}.</li>
 * </ul>
 */
final class InboundFrames extends ChannelInboundHandlerAdapter {
    /** Fired down the pipeline when the socket exceeds its rate. */
    static final Object EXCEEDED = new Object();

    private final double tokensPerNano;
    private final int burst;
    private double tokens;
    private long lastRefillNanos = System.nanoTime();
    private boolean exceeded;
    /** Set on the upgrade; before it, frames are HTTP and the idle handler watches the socket. */
    ConnectionHandler connection;

    InboundFrames(double ratePerSecond, int burst) {
        this.tokensPerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        long now = System.nanoTime();
        boolean pong = msg instanceof PongWebSocketFrame;
        if (!pong && !(msg instanceof CloseWebSocketFrame) && (exceeded || !tryTake(now))) {
            ReferenceCountUtil.release(msg); // a dropped frame is not life either
            if (!exceeded) {
                exceeded = true;
                ctx.fireUserEventTriggered(EXCEEDED);
            }
            return;
        }
        if (connection != null) {
            connection.heard(now, !pong);
        }
        ctx.fireChannelRead(msg);
    }

    private boolean tryTake(long now) {
        tokens = Math.min(burst, tokens + (now - lastRefillNanos) * tokensPerNano);
        lastRefillNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
