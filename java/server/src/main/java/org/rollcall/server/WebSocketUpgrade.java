package org.rollcall.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;

/**
 * The last handler of a socket's HTTP stage. Netty's {@link WebSocketServerProtocolHandler} does the
 * upgrade; at its end this strips the pipeline to what a WebSocket needs: TLS, if on, and one
 * {@link ClientFrames}, which decodes the client's frames itself. Netty's WebSocket handlers, the
 * HTTP stage's and this one leave: an idle socket's handlers, contexts and attributes are its
 * memory, times the sockets held.
 */
final class WebSocketUpgrade extends ChannelInboundHandlerAdapter {
    /** Where {@link WebSocketServerProtocolHandler} keeps the handshaker (an attribute key is found by name). */
    private static final AttributeKey<WebSocketServerHandshaker> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");
    static final String CLIENT_FRAMES = "client-frames";

    private final ServerContext server;
    /** The sockets closed at shutdown until their upgrade (then their loop's heartbeat wheel lists them). */
    private final ChannelGroup httpSockets;

    WebSocketUpgrade(ServerContext server, ChannelGroup httpSockets) {
        this.server = server;
        this.httpSockets = httpSockets;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ChannelPipeline pipeline = ctx.pipeline();
            pipeline.remove(RollcallServer.IDLE_HANDLER);
            pipeline.remove(RollcallServer.ORIGIN_GATE);
            pipeline.remove(RollcallServer.HTTP_API);
            // The admission count is given back when the socket closes, by ClientFrames: one context fewer.
            InetAddress counted = null;
            AdmissionHandler admission = pipeline.get(AdmissionHandler.class);
            if (admission != null) {
                counted = admission.handOver();
                pipeline.remove(admission);
            }
            // The protocol handler needs its handshaker only to answer close frames, which we answer
            // ourselves: drop it and the request's strings it holds.
            ctx.channel().attr(HANDSHAKER).getAndRemove();
            ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
            ClientFrames frames = new ClientFrames(server, counted);
            pipeline.addAfter(decoder.name(), CLIENT_FRAMES, frames);
            removeIfThere(pipeline, WebSocketFrameEncoder.class);
            removeIfThere(pipeline, WebSocketServerProtocolHandler.class);
            removeIfThere(pipeline, Utf8FrameValidator.class);
            removeIfThere(pipeline, WebSocketFrameAggregator.class);
            pipeline.remove(this);
            frames.start(pipeline.context(frames));
            // In the loop's heartbeat wheel now, which closes it at shutdown: out of the group, whose
            // entry would cost each WebSocket 40 B of heap for its life.
            httpSockets.remove(ctx.channel());
            // Last: bytes the decoder still holds (none, unless a client sent frames before our 101)
            // go on to ClientFrames as it leaves.
            pipeline.remove(decoder.handler());
        } else if (event instanceof IdleStateEvent) {
            ctx.close(); // an HTTP socket that went quiet before any upgrade
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    private static void removeIfThere(ChannelPipeline pipeline, Class<? extends ChannelHandler> type) {
        ChannelHandler handler = pipeline.get(type);
        if (handler != null) {
            pipeline.remove(handler);
        }
    }

    /** Before the upgrade only: a WebSocket frame here came ahead of it, and nobody is there to read it. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
