package org.rollcall.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands before the admin API: which listener serves it, the per-address throttle of failed
 * logins, and the credentials, HTTP Basic {@code apiKey:adminSecret}. The app's token-signing
 * secret is not an admin credential (docs/server.md, "Admin API").
 */
final class AdminGate {
    private static final Logger log = LoggerFactory.getLogger(AdminGate.class);
    static final String ADMIN_PREFIX = "/v1/admin/";

    /** Which routes a listener serves. */
    enum Routes {
        /** The server's port, when there is no separate admin listener: everything. */
        PUBLIC_AND_ADMIN,
        /** The server's port, when the admin API has a listener of its own: no admin API. */
        PUBLIC,
        /** The admin listener: the admin API, {@code /health} and {@code /metrics}. */
        ADMIN
    }

    private AdminGate() {
    }

    static Routes publicRoutes(ServerContext server) {
        return server.security().config().separateAdminListener() ? Routes.PUBLIC : Routes.PUBLIC_AND_ADMIN;
    }

    /**
     * A response that ends the request here (404 off its listener, 429 while throttled, 401 for
     * wrong credentials), or null when it may go on to its handler.
     */
    static FullHttpResponse check(ChannelHandlerContext ctx, FullHttpRequest request, ServerContext server, Routes routes) {
        String path = new QueryStringDecoder(request.uri()).path();
        boolean admin = path.startsWith(ADMIN_PREFIX);
        if (admin && routes == Routes.PUBLIC
                || !admin && routes == Routes.ADMIN && !path.equals("/health") && !path.equals("/metrics")) {
            return response(HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
        }
        if (!admin) {
            return null;
        }
        InetAddress remote = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        LoginThrottle logins = server.security().logins();
        if (!logins.allowed(remote)) {
            // checked before the credentials: while throttled, a right guess looks like a wrong one
            FullHttpResponse response = response(HttpResponseStatus.TOO_MANY_REQUESTS, "application/json",
                    "{\"error\":\"too many failed admin logins from this address\"}");
            response.headers().set(HttpHeaderNames.RETRY_AFTER, logins.retryAfterSeconds());
            return response;
        }
        if (authenticate(request, server.apps()).isPresent()) {
            return null;
        }
        if (request.headers().contains(HttpHeaderNames.AUTHORIZATION)) {
            logins.failed(remote);
            server.security().warnings().warn(log, ctx.channel().remoteAddress(),
                    "admin login failed: {} {}", request.method().name(), request.uri());
        }
        FullHttpResponse response = response(HttpResponseStatus.UNAUTHORIZED, "application/json",
                "{\"error\":\"unauthorized\"}");
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"rollcall admin\"");
        return response;
    }

    /** The app named by HTTP Basic {@code apiKey:adminSecret}, if its admin secret matches. */
    static Optional<App> authenticate(FullHttpRequest request, Map<String, App> apps) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String credentials;
        try {
            credentials = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = credentials.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        App app = apps.get(credentials.substring(0, colon));
        return app != null && app.adminSecretMatches(credentials.substring(colon + 1)) ? Optional.of(app) : Optional.empty();
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        return response;
    }
}
