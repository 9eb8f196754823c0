package org.rollcall.server;

import java.net.URI;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which web pages, by origin ({@code scheme://host[:port]}), may use this server from a browser.
 * Defaults and their reasons are in docs/server.md.
 *
 * @param allowedOrigins origins whose pages may open a WebSocket here, besides the server's own
 *     origin; {@code *} allows every origin. A request without {@code Origin} (a native client)
 *     is always allowed: the header is how browsers say which page is asking.
 * @param corsOrigins origins that may load the browser client ({@code /rollcall.js}) across origins,
 *     as a cross-origin {@code import} needs; {@code *} for any. Empty (the default): no CORS headers.
 */
public record WebConfig(Set<String> allowedOrigins, Set<String> corsOrigins) {
    public static final String ANY = "*";

    public WebConfig {
        allowedOrigins = normalize(allowedOrigins);
        corsOrigins = normalize(corsOrigins);
    }

    /** Only pages from the server's own host may open WebSockets from a browser, and no CORS. */
    public static WebConfig defaults() {
        return new WebConfig(Set.of(), Set.of());
    }

    /**
     * Whether a WebSocket upgrade with this {@code Origin} header (null when absent) may proceed;
     * {@code host} is the request's {@code Host} header, which names the server's own origin.
     */
    boolean allowsWebSocket(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String normalized = normalizeOrigin(origin);
        return allowedOrigins.contains(ANY) || allowedOrigins.contains(normalized) || isSameHost(normalized, host);
    }

    /** The value for {@code Access-Control-Allow-Origin} for a request from this origin, or null for none. */
    String corsAllowOrigin(String origin) {
        if (corsOrigins.contains(ANY)) {
            return ANY;
        }
        return origin != null && corsOrigins.contains(normalizeOrigin(origin)) ? origin : null;
    }

    /**
     * Same host name, any scheme and port. Not the stricter same-origin rule: libotc 1 (on
     * libwebsockets) sent {@code Origin: http://<host>} without the port (libotc 2 sends none), and a
     * page on another port of the same host is as trusted as the host's operator makes it.
     */
    private static boolean isSameHost(String origin, String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        try {
            String originHost = URI.create(origin).getHost();
            String host = hostHeader.toLowerCase(Locale.ROOT);
            int end = host.startsWith("[") ? host.indexOf(']') + 1 : host.lastIndexOf(':');
            return originHost != null && originHost.equals(end > 0 ? host.substring(0, end) : host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Set<String> normalize(Set<String> origins) {
        return origins == null ? Set.of()
                : origins.stream().map(WebConfig::normalizeOrigin).collect(Collectors.toUnmodifiableSet());
    }

    private static String normalizeOrigin(String origin) {
        String trimmed = origin.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
