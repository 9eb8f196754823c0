package org.rollcall;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.rollcall.server.App;
import org.rollcall.server.RollcallServer;
import org.rollcall.server.ServerConfig;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/** The real session server in this JVM, on a free loopback port; restartable on that port. */
final class TestServer implements AutoCloseable {
    static final String API_KEY = "bindingTests";
    static final String SECRET = "binding-tests-secret";
    /** The admin API's own secret: the token-signing secret is no admin credential. */
    static final String ADMIN_SECRET = "binding-tests-admin-secret";

    private final TokenGenerator tokens = new TokenGenerator(API_KEY, SECRET);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ServerConfig config;
    private RollcallServer server;

    private TestServer(ServerConfig config, int port) throws IOException {
        this.config = config;
        this.server = start(config, port);
    }

    static TestServer start() throws IOException {
        return new TestServer(ServerConfig.defaults(), 0);
    }

    static TestServer start(ServerConfig config) throws IOException {
        return new TestServer(config, 0);
    }

    private static RollcallServer start(ServerConfig config, int port) throws IOException {
        return RollcallServer.builder()
                .host("127.0.0.1")
                .port(port)
                .app(new App(API_KEY, SECRET, ADMIN_SECRET))
                .config(config)
                .build()
                .start();
    }

    int port() {
        return server.port();
    }

    URI uri() {
        return URI.create("ws://127.0.0.1:" + port());
    }

    String token(String sessionId, String data) {
        return tokens.generate(sessionId, TokenOptions.defaults().data(data));
    }

    /** A session of this server's app; not connected yet. */
    Session.Builder session(String sessionId) {
        return new Session.Builder(uri(), API_KEY, sessionId);
    }

    /**
     * Stops the server (it forgets everything), runs {@code whileDown}, and starts a new one on
     * the same port.
     */
    void restart(Runnable whileDown) throws IOException {
        int port = port();
        server.close();
        whileDown.run();
        server = start(config, port);
    }

    /** The admin API's DELETE: the others see forceDisconnected. */
    void forceDisconnect(String sessionId, String connectionId) throws IOException, InterruptedException {
        String credentials = Base64.getEncoder()
                .encodeToString((API_KEY + ":" + ADMIN_SECRET).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + port() + "/v1/admin/sessions/" + sessionId + "/connections/" + connectionId))
                .header("Authorization", "Basic " + credentials)
                .DELETE()
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new IllegalStateException("admin DELETE: HTTP " + response.statusCode() + " " + response.body());
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
