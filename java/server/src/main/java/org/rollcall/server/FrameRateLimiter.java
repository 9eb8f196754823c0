package org.rollcall.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Counts a socket's inbound WebSocket frames, pings included (each costs us a pong); pongs (they
 * answer our pings) and close frames do not count. Sits before the WebSocket protocol handler, which swallows pings. Past
 * the limit it drops every further frame and tells the socket's handler once.
 */
final class FrameRateLimiter extends ChannelInboundHandlerAdapter {
    /** Fired down the pipeline when the socket exceeds its rate. */
    static final Object EXCEEDED = new Object();

    private final TokenBucket bucket;
    private boolean exceeded;

    FrameRateLimiter(double rate, int burst) {
        this.bucket = new TokenBucket(rate, burst);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame) || msg instanceof PongWebSocketFrame || msg instanceof CloseWebSocketFrame) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (exceeded || !bucket.tryTake()) {
            ReferenceCountUtil.release(msg);
            if (!exceeded) {
                exceeded = true;
                ctx.fireUserEventTriggered(EXCEEDED);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
