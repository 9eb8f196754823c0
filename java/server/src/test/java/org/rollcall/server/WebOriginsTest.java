package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The web files' security headers, CORS for the client file, and the Origin check on WebSocket upgrades. */
class WebOriginsTest {
    private static final String APP_ORIGIN = "http://app.example:3000";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void pagesCarryAContentPolicyNosniffAndNoFraming() throws Exception {
        try (RollcallServer server = start(WebConfig.defaults())) {
            HttpResponse<String> page = get(server, "/", null);
            assertEquals(200, page.statusCode());
            String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(policy.contains("frame-ancestors 'none'"), policy);
            assertTrue(policy.contains("script-src 'self'"), policy);
            assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(null));
            assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(null));
        }
    }

    @Test
    void theClientFileHasCorsOnlyForConfiguredOrigins() throws Exception {
        try (RollcallServer closed = start(WebConfig.defaults())) {
            assertNull(get(closed, "/rollcall.js", APP_ORIGIN).headers().firstValue("Access-Control-Allow-Origin").orElse(null),
                    "CORS is opt-in");
        }
        try (RollcallServer open = start(new WebConfig(Set.of(), Set.of(APP_ORIGIN)))) {
            HttpResponse<String> client = get(open, "/rollcall.js", APP_ORIGIN);
            assertEquals(200, client.statusCode());
            assertEquals(APP_ORIGIN, client.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertTrue(client.headers().allValues("Vary").contains("origin") || client.headers().allValues("Vary").contains("Origin"));
            assertFalse(get(open, "/rollcall.js", "http://other.example").headers().firstValue("Access-Control-Allow-Origin").isPresent());
            assertFalse(get(open, "/", APP_ORIGIN).headers().firstValue("Access-Control-Allow-Origin").isPresent(),
                    "only the client's files");
        }
    }

    @Test
    void webSocketUpgradesFromForeignPagesAreRefusedByDefault() throws Exception {
        try (RollcallServer server = start(WebConfig.defaults())) {
            String own = "http://127.0.0.1:" + server.port();
            assertEquals(101, upgradeStatus(server, null), "the JDK's client sends no Origin");
            assertEquals(101, upgradeStatus(server, "http://127.0.0.1"), "libwebsockets sends its host, no port");
            assertEquals(101, upgradeStatus(server, own), "the server's own pages");
            assertEquals(403, upgradeStatus(server, "http://localhost:" + server.port()), "another host name");
            assertEquals(403, upgradeStatus(server, APP_ORIGIN));
            assertEquals(403, upgradeStatus(server, "null"));
        }
        try (RollcallServer server = start(new WebConfig(Set.of(APP_ORIGIN + "/"), Set.of()))) {
            assertEquals(101, upgradeStatus(server, APP_ORIGIN));
            assertEquals(403, upgradeStatus(server, "http://other.example"));
        }
        try (RollcallServer server = start(new WebConfig(Set.of("*"), Set.of()))) {
            assertEquals(101, upgradeStatus(server, "http://other.example"));
        }
    }

    private static RollcallServer start(WebConfig web) throws Exception {
        return RollcallServer.builder().port(0).app(Fixture.APP).web(web).build().start();
    }

    private HttpResponse<String> get(RollcallServer server, String path, String origin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (origin != null) {
            request.header("Origin", origin);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of a WebSocket handshake on a plain socket, so that the Origin header is exactly ours. */
    private static int upgradeStatus(RollcallServer server, String origin) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            String request = "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }
}
