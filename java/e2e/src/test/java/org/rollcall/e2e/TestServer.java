package org.rollcall.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.rollcall.server.App;
import org.rollcall.server.RollcallServer;
import org.rollcall.server.ServerConfig;
import org.rollcall.server.WebConfig;

/** The real session server, in this JVM, on a free loopback port. */
final class TestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RollcallServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestServer(RollcallServer server) {
        this.server = server;
    }

    static TestServer start(boolean devTokens) throws Exception {
        return start(0, App.random(), devTokens);
    }

    /** A server whose WebSockets also accept pages from this origin (another host name than the server's). */
    static TestServer startAllowing(String origin) throws Exception {
        return new TestServer(RollcallServer.builder()
                .port(0)
                .app(App.random())
                .config(ServerConfig.builder().devTokens(true).build())
                .web(new WebConfig(Set.of(origin), Set.of()))
                .build()
                .start());
    }

    /** A server on a given port (0 for any): a restart reuses the port of the server it replaces. */
    static TestServer start(int port, App app, boolean devTokens) throws Exception {
        RollcallServer server = RollcallServer.builder()
                .port(port)
                .app(app)
                .config(ServerConfig.builder().devTokens(devTokens).build())
                .build()
                .start();
        return new TestServer(server);
    }

    String baseUrl() {
        return server.url();
    }

    String webSocketUrl() {
        return server.webSocketUrl();
    }

    int port() {
        return server.port();
    }

    ServerConfig config() {
        return server.config();
    }

    App app() {
        return server.apps().get(0);
    }

    /** A token for the development app from POST /v1/dev/token, as the page gets it. */
    String devToken(String sessionId, String data) throws IOException, InterruptedException {
        return devTokenResponse(sessionId, data).get("token").asText();
    }

    JsonNode devTokenResponse(String sessionId, String data) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/dev/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("sessionId", sessionId, "data", data))))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("dev token: HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Stops this server and starts a new one on the same port: all state is lost, as in a crash. */
    TestServer restart() throws Exception {
        int port = port();
        close();
        return start(port, app(), server.config().devTokens());
    }

    /** DELETE through the admin API: the connection is forced out. */
    void forceDisconnect(String sessionId, String connectionId) throws IOException, InterruptedException {
        String credentials = Base64.getEncoder().encodeToString(
                (app().apiKey() + ":" + app().adminSecret()).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(
                        baseUrl() + "/v1/admin/sessions/" + sessionId + "/connections/" + connectionId))
                .header("Authorization", "Basic " + credentials)
                .DELETE()
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new IllegalStateException("force disconnect: HTTP " + response.statusCode() + " " + response.body());
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
