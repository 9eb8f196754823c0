package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.rollcall.token.Role;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;
import org.rollcall.token.Tokens;

/**
 * Plain HTTP on the server's port: health, metrics, the admin API, development tokens and the
 * browser client's files. Everything but WebSocket upgrades on {@code /v1/ws} ends up here.
 */
@ChannelHandler.Sharable
final class HttpApiHandler extends ChannelInboundHandlerAdapter {
    private static final String ADMIN_PREFIX = "/v1/admin/sessions/";

    private final ServerContext server;
    private final AdminGate.Routes routes;

    HttpApiHandler(ServerContext server) {
        this(server, AdminGate.publicRoutes(server));
    }

    HttpApiHandler(ServerContext server, AdminGate.Routes routes) {
        this.server = server;
        this.routes = routes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!request.decoderResult().isSuccess()) {
                send(ctx, request.method(), text(HttpResponseStatus.BAD_REQUEST, "bad request\n"), false);
                return;
            }
            FullHttpResponse refused = AdminGate.check(ctx, request, server, routes); // listener, throttle, credentials
            if (refused != null) {
                send(ctx, request.method(), refused, HttpUtil.isKeepAlive(request));
                return;
            }
            HttpMethod method = request.method();
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            // Admin answers come from the session's owner loop; they are written on this socket's.
            route(request).whenComplete((response, error) -> ctx.executor().execute(() -> send(ctx, method,
                    error == null ? response : text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n"),
                    keepAlive)));
        } finally {
            request.release();
        }
    }

    private CompletionStage<FullHttpResponse> route(FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        if (path.startsWith(ADMIN_PREFIX)) {
            return admin(request, path.substring(ADMIN_PREFIX.length()).split("/", -1));
        }
        return CompletableFuture.completedFuture(routeHere(request, path));
    }

    private FullHttpResponse routeHere(FullHttpRequest request, String path) {
        HttpMethod method = request.method();
        if (path.equals("/health")) {
            return method.equals(HttpMethod.GET) ? json(HttpResponseStatus.OK, "{\"status\":\"ok\"}") : notAllowed();
        }
        if (path.equals("/metrics")) {
            return method.equals(HttpMethod.GET)
                    ? response(HttpResponseStatus.OK, server.metrics().prometheusText(), "text/plain; version=0.0.4; charset=utf-8")
                    : notAllowed();
        }
        if (path.equals("/v1/dev/token")) {
            return devToken(request);
        }
        if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            return server.staticFiles().find(path)
                    .map(file -> WebHeaders.forStaticFile(response(HttpResponseStatus.OK, file.content(), file.contentType()),
                            path, request.headers().get(HttpHeaderNames.ORIGIN), server.staticFiles().web()))
                    .orElseGet(HttpApiHandler::notFound);
        }
        return notFound();
    }

    /** {@code {sessionId}/connections} and {@code {sessionId}/connections/{connectionId}}. */
    private CompletionStage<FullHttpResponse> admin(FullHttpRequest request, String[] segments) {
        return CompletableFuture.completedFuture(null).thenCompose(unused -> adminCall(request, segments));
    }

    private CompletionStage<FullHttpResponse> adminCall(FullHttpRequest request, String[] segments) {
        boolean list = segments.length == 2 && segments[1].equals("connections");
        boolean one = segments.length == 3 && segments[1].equals("connections") && !segments[2].isEmpty();
        if (!(list || one) || !Tokens.isValidSessionId(segments[0])) {
            return CompletableFuture.completedFuture(notFound());
        }
        Optional<App> app = AdminGate.authenticate(request, server.apps()); // the admin secret, not the signing one
        if (app.isEmpty()) {
            FullHttpResponse response = json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"unauthorized\"}");
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"rollcall\"");
            return CompletableFuture.completedFuture(response);
        }
        SessionKey session = new SessionKey(app.get().apiKey(), segments[0]);
        if (list && request.method().equals(HttpMethod.GET)) {
            return server.presence().snapshot(session)
                    .thenApply(snapshot -> json(HttpResponseStatus.OK, connectionList(session, snapshot)));
        }
        if (one && request.method().equals(HttpMethod.DELETE)) {
            return server.presence().forceDisconnect(session, segments[2]).thenApply(removed -> removed
                    ? response(HttpResponseStatus.NO_CONTENT, new byte[0], null)
                    : notFound());
        }
        return CompletableFuture.completedFuture(notAllowed());
    }

    private static String connectionList(SessionKey session, Presence.Snapshot snapshot) {
        StringBuilder json = new StringBuilder("{\"sessionId\":").append(Json.quote(session.sessionId()))
                .append(",\"epoch\":").append(snapshot.epoch()).append(",\"seq\":").append(snapshot.seq()).append(",\"connections\":[");
        for (int i = 0; i < snapshot.connections().size(); i++) {
            json.append(i > 0 ? "," : "").append(Json.text(snapshot.connections().get(i).json()));
        }
        return json.append("]}").toString();
    }


    private FullHttpResponse devToken(FullHttpRequest request) {
        if (!server.config().devTokens()) {
            return notFound();
        }
        if (!request.method().equals(HttpMethod.POST)) {
            return notAllowed();
        }
        try {
            JsonNode body = Json.parse(request.content().toString(StandardCharsets.UTF_8));
            String sessionId = body.path("sessionId").asText("");
            TokenOptions options = TokenOptions.defaults().data(body.path("data").asText(""));
            if (body.hasNonNull("role")) {
                options = options.role(Role.fromWireName(body.get("role").asText()));
            }
            App app = server.devApp();
            String token = new TokenGenerator(app.apiKey(), app.secret()).generate(sessionId, options);
            ObjectNode answer = Json.object().put("apiKey", app.apiKey()).put("sessionId", sessionId).put("token", token);
            return json(HttpResponseStatus.OK, answer.toString());
        } catch (Exception e) {
            return json(HttpResponseStatus.BAD_REQUEST, Json.object().put("error", String.valueOf(e.getMessage())).toString());
        }
    }

    private static void send(ChannelHandlerContext ctx, HttpMethod method, FullHttpResponse response,
                             boolean keepAlive) {
        if (!response.status().equals(HttpResponseStatus.NO_CONTENT)) {
            HttpUtil.setContentLength(response, response.content().readableBytes());
        }
        if (method.equals(HttpMethod.HEAD)) {
            response.content().clear();
        }
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        return response(status, body, "application/json");
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return response(status, body, "text/plain; charset=utf-8");
    }

    private static FullHttpResponse notFound() {
        return text(HttpResponseStatus.NOT_FOUND, "not found\n");
    }

    private static FullHttpResponse notAllowed() {
        return text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body, String contentType) {
        return response(status, body.getBytes(StandardCharsets.UTF_8), contentType);
    }

    private static FullHttpResponse response(HttpResponseStatus status, byte[] body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return response;
    }
}
