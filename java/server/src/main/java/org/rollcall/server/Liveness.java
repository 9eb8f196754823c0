package org.rollcall.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * When a socket's peer was last heard from. Sits before the WebSocket protocol handler, which
 * answers pings and swallows pongs, so it sees every frame. A pong only answers our ping; any other
 * frame (a v1 client's own ping, a text frame) means the peer is talking, so our next ping can be
 * skipped. Read by {@link ConnectionHandler} on the same event loop, which also counts the peer
 * reading a backlog of ours as heard (see its heartbeat).
 */
final class Liveness extends ChannelInboundHandlerAdapter {
    long reads;
    long lastHeardNanos = System.nanoTime();
    long lastTalkNanos = Long.MIN_VALUE / 2;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reads++;
        long now = System.nanoTime();
        lastHeardNanos = now;
        if (msg instanceof WebSocketFrame && !(msg instanceof PongWebSocketFrame)) {
            lastTalkNanos = now;
        }
        ctx.fireChannelRead(msg);
    }
}
