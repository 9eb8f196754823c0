package org.rollcall.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/** Response headers for the web files: a strict content policy, and CORS for the client files when configured. */
final class WebHeaders {
    /**
     * The roster page loads only its own scripts and styles and talks only to its own server;
     * no page may frame it (clickjacking). {@code 'self'} covers ws(s):// to the same host.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    private WebHeaders() {
    }

    /** Adds the headers to a static file's response; {@code origin} is the request's Origin header or null. */
    static FullHttpResponse forStaticFile(FullHttpResponse response, String path, String origin, WebConfig web) {
        HttpHeaders headers = response.headers();
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY"); // frame-ancestors for browsers without CSP 2
        headers.set("Referrer-Policy", "no-referrer");
        if (path.startsWith("/rollcall.")) { // rollcall.js, its source map and types
            String allowed = web.corsAllowOrigin(origin);
            if (allowed != null) {
                headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            }
            headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        return response;
    }
}
