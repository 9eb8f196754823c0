package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The server's HTTP side: the admin API (protocol.md) and /metrics. */
final class Admin {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ServerTarget server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Admin(ServerTarget server) {
        this.server = server;
    }

    /** A session's connections as the server lists them. */
    record Listing(long seq, List<String> ids) {
    }

    Listing connections(String sessionId) {
        HttpResponse<String> response = send(request("/v1/admin/sessions/" + encode(sessionId) + "/connections").GET());
        expect(response, 200);
        try {
            JsonNode body = JSON.readTree(response.body());
            List<String> ids = new ArrayList<>();
            body.path("connections").forEach(connection -> ids.add(connection.path("id").asText()));
            return new Listing(body.path("seq").asLong(), ids);
        } catch (IOException e) {
            throw new HarnessException("admin list of " + sessionId + " is not JSON: " + response.body(), e);
        }
    }

    /** Force-disconnects a connection; false when the server does not know it. */
    boolean forceDisconnect(String sessionId, String connectionId) {
        HttpResponse<String> response = send(request("/v1/admin/sessions/" + encode(sessionId)
                + "/connections/" + encode(connectionId)).DELETE());
        if (response.statusCode() == 404) {
            return false;
        }
        expect(response, 204);
        return true;
    }

    /** /metrics as name (with labels) to value; with several nodes, each sample summed over them. */
    Map<String, Double> metrics() {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String node : server.nodeHttpUrls()) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(node + "/metrics"))
                    .timeout(TIMEOUT).GET());
            expect(response, 200);
            for (String line : response.body().split("\n")) {
                int space = line.lastIndexOf(' ');
                if (line.isBlank() || line.startsWith("#") || space < 0) {
                    continue;
                }
                try {
                    values.merge(line.substring(0, space), Double.parseDouble(line.substring(space + 1)), Double::sum);
                } catch (NumberFormatException e) {
                    // not a sample
                }
            }
        }
        return values;
    }

    boolean healthy() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(server.httpUrl() + "/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private HttpRequest.Builder request(String path) {
        String credentials = server.apiKey() + ":" + server.adminSecret();
        return HttpRequest.newBuilder(URI.create(server.httpUrl() + path))
                .timeout(TIMEOUT)
                .header("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new HarnessException("server " + server.httpUrl() + " does not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }

    private static void expect(HttpResponse<String> response, int status) {
        if (response.statusCode() != status) {
            throw new HarnessException(response.request().method() + " " + response.request().uri()
                    + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
