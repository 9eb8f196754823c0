package org.rollcall.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The optional separate listener of the admin API ({@code --admin-port}): plain HTTP (or HTTPS with
 * the server's TLS) serving {@code /v1/admin/…}, {@code /health} and {@code /metrics}, and nothing
 * else; no WebSocket. Bind it to a private address so that the admin API is not on the public port.
 */
final class AdminListener {
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final Channel serverChannel;

    private AdminListener(Channel serverChannel) {
        this.serverChannel = serverChannel;
    }

    static AdminListener start(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerSocketChannel> channelType,
                               SslContext ssl, ServerContext server, ChannelGroup channels, String host, int port)
            throws IOException {
        HttpApiHandler api = new HttpApiHandler(server, AdminGate.Routes.ADMIN);
        long idleMs = server.config().httpIdleTimeoutMs();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channels.add(channel);
                        channel.pipeline().addLast(new IdleStateHandler(idleMs, 0, 0, TimeUnit.MILLISECONDS));
                        if (ssl != null) {
                            channel.pipeline().addLast(ssl.newHandler(channel.alloc()));
                        }
                        channel.pipeline().addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(api)
                                .addLast(new CloseWhenIdleOrBroken());
                    }
                });
        try {
            return new AdminListener(bootstrap.bind(host, port).syncUninterruptibly().channel());
        } catch (Exception e) {
            throw new IOException("cannot listen for the admin API on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    void close() {
        serverChannel.close().syncUninterruptibly();
    }

    /** The end of the admin pipeline: an idle or broken socket is closed. */
    private static final class CloseWhenIdleOrBroken extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
