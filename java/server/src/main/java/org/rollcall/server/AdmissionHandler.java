package org.rollcall.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The head of every client socket's pipeline: admits it only while its remote address has fewer
 * than {@code maxSocketsPerAddress} sockets open. A socket over the cap never reaches the
 * WebSocket upgrade: its HTTP request (an upgrade, or anything else) is answered
 * {@code 429 Too Many Requests} and the socket closed; bytes that are not HTTP, or silence for
 * {@link #REFUSED_LINGER_MS}, get a plain close. So one address cannot hold the server's file
 * budget with sockets, whatever stage they stop at.
 */
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);
    static final long REFUSED_LINGER_MS = 1000;

    private final Security security;
    private InetAddress counted;

    AdmissionHandler(Security security) {
        this.security = security;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        if (security.tryOpenSocket(address)) {
            counted = address;
        } else {
            security.warnings().warn(log, ctx.channel().remoteAddress(),
                    "over {} open sockets from this address; refusing new ones with 429",
                    security.config().maxSocketsPerAddress());
            refuse(ctx);
        }
        ctx.fireChannelActive();
    }

    /**
     * At the WebSocket upgrade: the socket's count goes with the address to whoever closes it
     * ({@link ClientFrames}), and this handler leaves the pipeline.
     */
    InetAddress handOver() {
        InetAddress address = counted;
        counted = null;
        return address;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted != null) {
            security.socketClosed(counted);
            counted = null;
        }
        ctx.fireChannelInactive();
    }

    /** Puts a refusal right after the HTTP aggregator, so nothing behind it (the upgrade) runs. */
    private static void refuse(ChannelHandlerContext ctx) {
        ChannelHandlerContext aggregator = ctx.pipeline().context(HttpObjectAggregator.class);
        if (aggregator == null) {
            ctx.close();
            return;
        }
        ctx.pipeline().addAfter(aggregator.name(), "refused", new Refusal());
        ctx.executor().schedule(() -> {
            ctx.close();
        }, REFUSED_LINGER_MS, TimeUnit.MILLISECONDS);
    }

    /** Answers 429 to an HTTP request, closes on anything else. */
    private static final class Refusal extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof FullHttpRequest request && request.decoderResult().isSuccess()) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.TOO_MANY_REQUESTS,
                            Unpooled.copiedBuffer("too many open sockets from this address\n", StandardCharsets.UTF_8));
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                            .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                            .set(HttpHeaderNames.RETRY_AFTER, 1);
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                } else {
                    ctx.close();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
