package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/** A real redis-server and server nodes in this JVM that share sessions through it. */
final class Cluster implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final RedisProcess redis = RedisProcess.start();
    final List<RollcallServer> nodes = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();
    private final TokenGenerator tokens = new TokenGenerator(Fixture.APP.apiKey(), Fixture.APP.secret());
    private final HttpClient http = HttpClient.newHttpClient();

    Cluster(int nodeCount, ServerConfig config, long leaseMs) {
        try {
            for (int i = 0; i < nodeCount; i++) {
                addNode(config, leaseMs);
            }
        } catch (RuntimeException | Error e) {
            close(); // no redis-server left behind
            throw e;
        }
    }

    RollcallServer addNode(ServerConfig config, long leaseMs) {
        return addNode(config, leaseMs, redis.uri());
    }

    /** A node that reaches Redis at {@code redisUri} (a {@link TcpProxy}'s, say). */
    RollcallServer addNode(ServerConfig config, long leaseMs, String redisUri) {
        try {
            RollcallServer node = RollcallServer.builder().port(0).app(Fixture.APP).config(config)
                    .security(Fixture.lenientSecurity().build())
                    .redis(new RedisConfig(redisUri, "n" + nodes.size(), leaseMs)).build().start();
            nodes.add(node);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI ws(int node) {
        return URI.create(nodes.get(node).webSocketUrl());
    }

    String token(String sessionId, String data) {
        return tokens.generate(sessionId, TokenOptions.defaults().data(data));
    }

    TestClient join(int node, String sessionId, String data) {
        return track(TestClient.connect(ws(node), Fixture.APP.apiKey(), sessionId, token(sessionId, data)));
    }

    /**
     * Sends {@code frame} (a connect or resume) through {@code node} until the answer is not 1023,
     * as a client retries while the node waits for Redis; the client with that answer.
     */
    TestClient sendOnceServed(int node, String frame) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            TestClient client = track(TestClient.open(ws(node)));
            client.send(frame);
            JsonNode answer = client.awaitMessage(m -> m.path("type").asText().matches("connected|error"), TestClient.TIMEOUT);
            if (answer.path("code").asInt() != 1023) {
                return client;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still refused after 30 s: " + answer);
            }
            client.abort();
            RedisProcess.sleepMs(answer.path("retryAfterMs").asLong(100));
        }
    }

    /** A join through {@code node}, retried while it answers 1023. */
    TestClient joinOnceServed(int node, String sessionId, String data) {
        TestClient client = sendOnceServed(node,
                TestClient.connectFrame(Fixture.APP.apiKey(), sessionId, token(sessionId, data), false));
        client.awaitConnected();
        return client;
    }

    synchronized TestClient track(TestClient client) {
        clients.add(client);
        return client;
    }

    /** A v2 resume of the client's connection, with its epoch and the last seq it saw, through {@code node}. */
    TestClient resume(int node, String sessionId, TestClient old) {
        TestClient client = track(TestClient.open(ws(node)));
        client.send(resumeFrame(sessionId, old));
        return client;
    }

    static String resumeFrame(String sessionId, TestClient old) {
        JsonNode connected = old.connected();
        long lastSeq = connected.path("seq").asLong();
        for (JsonNode event : old.events()) {
            lastSeq = Math.max(lastSeq, event.path("seq").asLong());
        }
        return JSON.createObjectNode().put("type", "resume").put("protocol", 2).put("apiKey", Fixture.APP.apiKey())
                .put("sessionId", sessionId).put("connectionId", old.id())
                .put("resumeToken", connected.path("resumeToken").asText())
                .put("epoch", connected.path("epoch").asLong()).put("lastSeq", lastSeq).toString();
    }

    HttpResponse<String> admin(int node, String method, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(nodes.get(node).url() + path))
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("Authorization", HttpApiTest.basic(Fixture.APP))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The IDs the admin API of {@code node} lists for the session. */
    List<String> listed(int node, String sessionId) {
        try {
            JsonNode list = JSON.readTree(admin(node, "GET", "/v1/admin/sessions/" + sessionId + "/connections").body());
            List<String> ids = new ArrayList<>();
            list.path("connections").forEach(c -> ids.add(c.path("id").asText()));
            return ids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        List<TestClient> all;
        synchronized (this) {
            all = new ArrayList<>(clients);
        }
        all.forEach(TestClient::abort);
        nodes.forEach(RollcallServer::close);
        redis.close();
    }
}
