package org.rollcall.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/** A real server on an ephemeral port with short timeouts, and helpers to talk to it. */
final class Fixture implements AutoCloseable {
    static final App APP = new App("app1", "secret-1", "admin-secret-1");
    static final App OTHER_APP = new App("app2", "secret-2", "admin-secret-2");
    private static final AtomicInteger SESSIONS = new AtomicInteger();

    /** Fast heartbeats and grace so that tests of departure finish in well under a second. */
    static ServerConfig.Builder fastConfig() {
        return ServerConfig.builder()
                .heartbeatIntervalMs(500).heartbeatTimeoutMs(3000)
                .graceClosedMs(300).graceSilentMs(300)
                .connectRate(10_000).connectBurst(10_000);
    }

    final RollcallServer server;
    final URI ws;
    final HttpClient http = HttpClient.newHttpClient();
    private final TokenGenerator tokens = new TokenGenerator(APP.apiKey(), APP.secret());
    private final List<TestClient> clients = new ArrayList<>();

    Fixture() {
        this(fastConfig().build());
    }

    Fixture(ServerConfig config) {
        this(config, lenientSecurity().build());
    }

    /** Tests that try wrong admin credentials on purpose must not lock the others out. */
    static SecurityConfig.Builder lenientSecurity() {
        return SecurityConfig.builder().adminLoginBurst(1000);
    }

    Fixture(ServerConfig config, SecurityConfig security) {
        try {
            server = RollcallServer.builder().port(0).app(APP).app(OTHER_APP).config(config).security(security)
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ws = URI.create(server.webSocketUrl());
    }

    /** A session ID no other test uses. */
    static String newSession() {
        return "s" + SESSIONS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    String token(String sessionId, String data) {
        return tokens.generate(sessionId, TokenOptions.defaults().data(data));
    }

    /** A connected client of APP; closed with the fixture. */
    TestClient join(String sessionId, String data) {
        TestClient client = TestClient.connect(ws, APP.apiKey(), sessionId, token(sessionId, data));
        track(client);
        return client;
    }

    TestClient open() {
        return track(TestClient.open(ws));
    }

    synchronized TestClient track(TestClient client) {
        clients.add(client);
        return client;
    }

    int port() {
        return server.port();
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET(), headers);
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        List<TestClient> all;
        synchronized (this) {
            all = new ArrayList<>(clients);
        }
        all.forEach(TestClient::abort);
        server.close();
    }
}
