package org.rollcall.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Rollcall session server. Start it in-process, on port 0 for an ephemeral port:
 *
 * <pre>{@code
 * try (RollcallServer server = RollcallServer.builder().port(0).app(new App("key", "secret")).build().start()) {
 *     int port = server.port();
 * }
 * }</pre>
 */
public final class RollcallServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RollcallServer.class);
    static final String IDLE_HANDLER = "idle";
    /** Handlers of the HTTP stage only: removed once a socket is a WebSocket (a context each, per socket). */
    static final String ORIGIN_GATE = "origin";
    static final String HTTP_API = "http-api";
    static final String WEBSOCKET_PATH = "/v1/ws";
    private static final int MAX_HTTP_REQUEST_BYTES = 64 * 1024;
    /** Each read takes a pooled buffer of this size for the read only; a bigger input takes more reads. */
    private static final int RECEIVE_BUFFER_BYTES = 2048;

    private final String host;
    private final int requestedPort;
    private final Map<String, App> apps;
    private final ServerConfig config;
    private final SecurityConfig securityConfig;
    private final WebConfig web;
    private final Path tlsCert;
    private final Transport requestedTransport;
    private final Path tlsKey;
    private final RedisConfig redis;
    private final Metrics metrics = new Metrics();
    /** Sockets before their WebSocket upgrade, and admin sockets; the heartbeat wheels list WebSockets. */
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private Channel serverChannel;
    private ServerContext context;
    private AdminListener adminListener;

    private RollcallServer(Builder builder) {
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.config = builder.config;
        this.securityConfig = builder.securityConfig;
        this.web = builder.web;
        this.tlsCert = builder.tlsCert;
        this.requestedTransport = builder.transport;
        this.tlsKey = builder.tlsKey;
        this.redis = builder.redis;
        Map<String, App> apps = new LinkedHashMap<>();
        for (App app : builder.apps) {
            if (apps.put(app.apiKey(), app.withTokenLimits(securityConfig.maxTokenTtl(), securityConfig.tokenClockSkew())) != null) {
                throw new IllegalArgumentException("app " + app.apiKey() + " is given twice");
            }
        }
        if (apps.isEmpty()) {
            throw new IllegalArgumentException("the server needs at least one app");
        }
        this.apps = Collections.unmodifiableMap(apps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException if the port cannot be bound or the TLS files cannot be read
     */
    public RollcallServer start() throws IOException {
        SslContext ssl = tlsCert == null ? null : SslContextBuilder.forServer(tlsCert.toFile(), tlsKey.toFile()).build();
        Transport transport = requestedTransport.resolve();
        IoHandlerFactory io = transport.ioHandlerFactory();
        bossGroup = new MultiThreadIoEventLoopGroup(1, io);
        // As many loops as cores: more would only take turns on them, and each session has one owner.
        workerGroup = new WorkerLoops(io);
        Presence presence;
        try {
            presence = redis == null ? new LocalPresence(config, metrics, workerGroup)
                    : new RedisPresence(config, metrics, workerGroup, redis);
        } catch (IOException e) {
            close();
            throw e;
        }
        ConnectRateLimiter connectLimiter = new ConnectRateLimiter(config.connectRate(), config.connectBurst());
        metrics.gauges(presence::connectionCount, presence::sessionCount);
        context = new ServerContext(config, apps, presence, new Heartbeats(workerGroup, config),
                new OutboundBudget(config.outboundBudgetBytes()), metrics, connectLimiter,
                new StaticFiles(RollcallServer.class.getClassLoader(), "web/", web), new Security(securityConfig));
        workerGroup.scheduleAtFixedRate(connectLimiter::sweep, 10, 10, TimeUnit.SECONDS);

        Class<? extends ServerSocketChannel> channelType = transport.serverChannelType();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true) // a restart may rebind while old sockets linger in TIME_WAIT
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                // One allocator for every socket: the default is an adaptive one per socket, with its
                // own sizing state, to grow reads for bulk input; clients send small frames. Its handle
                // is shared by a loop's sockets where reads do not overlap (not io_uring's).
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, transport == Transport.IO_URING
                        ? new FixedRecvByteBufAllocator(RECEIVE_BUFFER_BYTES)
                        : new LoopReceiveBuffers(RECEIVE_BUFFER_BYTES))
                .childHandler(new Initializer(ssl));
        if (config.sendBufferBytes() > 0) {
            bootstrap.childOption(ChannelOption.SO_SNDBUF, config.sendBufferBytes());
        }
        try {
            serverChannel = bootstrap.bind(host, requestedPort).syncUninterruptibly().channel();
        } catch (Exception e) {
            close();
            throw new IOException("cannot listen on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
        }
        if (securityConfig.separateAdminListener()) {
            try {
                adminListener = AdminListener.start(bossGroup, workerGroup, channelType, ssl, context, channels,
                        securityConfig.adminHost() != null ? securityConfig.adminHost() : host, securityConfig.adminPort());
            } catch (IOException e) {
                close();
                throw e;
            }
        }
        log.debug("listening on {}:{} ({})", host, port(), transport);
        if (config.devTokens()) {
            log.warn("development tokens are ON: anyone who reaches POST /v1/dev/token gets a token for app {}",
                    context.devApp().apiKey());
        }
        return this;
    }

    /** The bound port; the ephemeral one when started on port 0. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The port of the admin API: its own listener's, or the server's when it has none. */
    public int adminPort() {
        return adminListener != null ? adminListener.port() : port();
    }

    /** {@code http://host:port} of the admin API (https with TLS). */
    public String adminUrl() {
        String adminHost = adminListener != null && securityConfig.adminHost() != null ? securityConfig.adminHost() : host;
        return (tlsCert == null ? "http://" : "https://") + (adminHost.contains(":") ? "[" + adminHost + "]" : adminHost)
                + ":" + adminPort();
    }

    public SecurityConfig security() {
        return securityConfig;
    }

    public String host() {
        return host;
    }

    /** {@code http://host:port} (or https with TLS). */
    public String url() {
        return (tlsCert == null ? "http://" : "https://") + hostForUrl() + ":" + port();
    }

    /** {@code ws://host:port/v1/ws} (or wss with TLS). */
    public String webSocketUrl() {
        return (tlsCert == null ? "ws://" : "wss://") + hostForUrl() + ":" + port() + WEBSOCKET_PATH;
    }

    private String hostForUrl() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    public List<App> apps() {
        return new ArrayList<>(apps.values());
    }

    public ServerConfig config() {
        return config;
    }

    /** The worker loops (tests stall them to stand for a node overloaded by a storm). */
    EventLoopGroup workerLoops() {
        return workerGroup;
    }

    /** Stops listening and closes every socket. Connections end without events: the node is gone. */
    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (adminListener != null) {
            adminListener.close();
        }
        channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (context != null) {
            // After the group: a socket upgraded while the group closed is in a wheel by now.
            context.heartbeats().closeAll(2000);
            context.presence().close();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** (TLS) → HTTP → WebSocket upgrade on /v1/ws, or the HTTP API. */
    private final class Initializer extends ChannelInitializer<SocketChannel> {
        private final SslContext ssl;
        private final HttpApiHandler httpApi = new HttpApiHandler(context);
        private final OriginGate originGate = new OriginGate(web);
        private final WebSocketServerProtocolConfig webSocketConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WEBSOCKET_PATH)
                .checkStartsWith(true)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                // Netty's frame decoder lives only from the 101 until ClientFrames takes over (WebSocketUpgrade).
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(config.maxFrameBytes())
                        .closeOnProtocolViolation(false)
                        .allowExtensions(false)
                        .build())
                .build();

        Initializer(SslContext ssl) {
            this.ssl = ssl;
        }

        @Override
        protected void initChannel(SocketChannel channel) {
            channels.add(channel);
            ChannelPipeline pipeline = channel.pipeline();
            pipeline.addLast(new AdmissionHandler(context.security())); // first: counts every socket per address
            // Until the WebSocket upgrade; then the loop's heartbeat wheel watches the socket.
            pipeline.addLast(IDLE_HANDLER, new IdleStateHandler(config.httpIdleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
            if (ssl != null) {
                pipeline.addLast(ssl.newHandler(channel.alloc()));
            }
            pipeline.addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES))
                    .addLast(ORIGIN_GATE, originGate)
                    .addLast(new WebSocketServerProtocolHandler(webSocketConfig))
                    .addLast(HTTP_API, httpApi)
                    .addLast(new WebSocketUpgrade(context, channels));
        }
    }

    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private final List<App> apps = new ArrayList<>();
        private ServerConfig config = ServerConfig.defaults();
        private SecurityConfig securityConfig = SecurityConfig.defaults();
        private WebConfig web = WebConfig.defaults();
        private Path tlsCert;
        private Transport transport = Transport.AUTO;
        private Path tlsKey;
        private RedisConfig redis;

        private Builder() {
        }

        /** Shares sessions with other nodes through Redis (see docs/scale-out.md); null: this node alone (the default). */
        public Builder redis(RedisConfig redis) {
            this.redis = redis;
            return this;
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        /** 0 for an ephemeral port; see {@link RollcallServer#port()}. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder app(App app) {
            apps.add(Objects.requireNonNull(app));
            return this;
        }

        public Builder apps(List<App> apps) {
            this.apps.addAll(apps);
            return this;
        }

        public Builder config(ServerConfig config) {
            this.config = Objects.requireNonNull(config);
            return this;
        }

        /** Token limits, the admin listener, login throttle, socket cap per address, warning interval. */
        public Builder security(SecurityConfig securityConfig) {
            this.securityConfig = Objects.requireNonNull(securityConfig);
            return this;
        }

        /** Which browser origins may open WebSockets and load the client across origins. */
        public Builder web(WebConfig web) {
            this.web = Objects.requireNonNull(web);
            return this;
        }

        /** Netty's I/O: {@link Transport#AUTO} (epoll, else NIO) unless measured otherwise. */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport);
            return this;
        }

        /** Serves wss/https with this PEM certificate chain and PEM (PKCS#8) private key. */
        public Builder tls(Path certificateChain, Path privateKey) {
            this.tlsCert = Objects.requireNonNull(certificateChain);
            this.tlsKey = Objects.requireNonNull(privateKey);
            return this;
        }

        public RollcallServer build() {
            return new RollcallServer(this);
        }
    }
}
