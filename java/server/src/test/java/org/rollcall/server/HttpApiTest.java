package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Fixture fixture;

    @BeforeAll
    static void start() {
        fixture = new Fixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** The admin credentials: the app's admin secret, not its token-signing secret. */
    static String basic(App app) {
        return basic(app.apiKey(), app.adminSecret());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private static String listPath(String session) {
        return "/v1/admin/sessions/" + session + "/connections";
    }

    @Test
    void healthIsOk() throws Exception {
        HttpResponse<String> response = fixture.get("/health");
        assertEquals(200, response.statusCode());
        assertEquals("ok", json(response).path("status").asText());
    }

    @Test
    void adminListsTheSessionsConnections() throws Exception {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");

        JsonNode list = json(fixture.get(listPath(session), "Authorization", basic(Fixture.APP)));

        assertEquals(session, list.path("sessionId").asText());
        assertEquals(1, list.path("seq").asLong());
        assertEquals(Set.of(ann.id(), bob.id()), Set.copyOf(ConnectionEventsTest.ids(list.path("connections"))));
        assertEquals(ann.connected().path("connection"), list.path("connections").get(0));
    }

    @Test
    void unknownSessionListsNoConnections() throws Exception {
        HttpResponse<String> response = fixture.get(listPath("nobody-here"), "Authorization", basic(Fixture.APP));
        assertEquals(200, response.statusCode());
        assertEquals(0, json(response).path("connections").size());
    }

    @Test
    void adminSeesOnlyItsOwnAppsSession() throws Exception {
        String session = Fixture.newSession();
        fixture.join(session, "ann");
        JsonNode list = json(fixture.get(listPath(session), "Authorization", basic(Fixture.OTHER_APP)));
        assertEquals(0, list.path("connections").size());
    }

    @Test
    void adminNeedsTheRightKeyAndSecret() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        for (String auth : List.of(basic(Fixture.APP.apiKey(), "wrong"), basic("nobody", Fixture.APP.adminSecret()),
                basic(Fixture.APP.apiKey(), Fixture.OTHER_APP.adminSecret()), "Basic !!!", "Bearer x",
                basic(Fixture.APP.apiKey(), Fixture.APP.secret()))) { // the signing secret is no admin credential
            assertEquals(401, fixture.get(listPath(session), "Authorization", auth).statusCode(), auth);
            assertEquals(401, delete(session, ann.id(), auth).statusCode(), auth);
        }
        HttpResponse<String> none = fixture.get(listPath(session));
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        assertTrue(!ann.isClosed(), "still connected");
    }

    @Test
    void deleteOfAnUnknownConnectionIs404() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        assertEquals(404, delete(session, "no-such-id", basic(Fixture.APP)).statusCode());
        assertEquals(404, delete(session, ann.id(), basic(Fixture.OTHER_APP)).statusCode(), "another app's connection");
        assertEquals(404, delete("other-session", ann.id(), basic(Fixture.APP)).statusCode(), "another session");
        assertEquals(204, delete(session, ann.id(), basic(Fixture.APP)).statusCode());
        assertEquals(404, delete(session, ann.id(), basic(Fixture.APP)).statusCode(), "already gone");
    }

    private static HttpResponse<String> delete(String session, String connectionId, String auth) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + listPath(session) + "/" + connectionId))
                .DELETE(), "Authorization", auth);
    }

    @Test
    void devTokensAreOffByDefault() {
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/v1/dev/token"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"sessionId\":\"room\"}")));
        assertEquals(404, response.statusCode());
    }

    @Test
    void devTokenConnectsToTheFirstApp() throws Exception {
        try (Fixture dev = new Fixture(Fixture.fastConfig().devTokens(true).build())) {
            HttpResponse<String> response = dev.send(HttpRequest.newBuilder(URI.create(dev.server.url() + "/v1/dev/token"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"sessionId\":\"room\",\"data\":\"name=dev\"}")));
            assertEquals(200, response.statusCode());
            JsonNode answer = json(response);
            assertEquals(Fixture.APP.apiKey(), answer.path("apiKey").asText());
            assertEquals("room", answer.path("sessionId").asText());

            TestClient client = dev.track(TestClient.connect(dev.ws, answer.path("apiKey").asText(), "room",
                    answer.path("token").asText()));
            assertEquals("name=dev", client.connected().path("connection").path("data").asText());

            HttpResponse<String> bad = dev.send(HttpRequest.newBuilder(URI.create(dev.server.url() + "/v1/dev/token"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"sessionId\":\"bad session\"}")));
            assertEquals(400, bad.statusCode());
        }
    }

    @Test
    void metricsCountConnectionsSessionsEventsAndDrops() {
        String session = Fixture.newSession();
        TestClient ann = fixture.join(session, "ann");
        TestClient bob = fixture.join(session, "bob");
        bob.close();
        ann.awaitEvent(ConnectionEventsTest.destroyed(bob.id()), TestClient.TIMEOUT);

        HttpResponse<String> response = fixture.get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = response.body();
        for (String name : List.of("rollcall_connections ", "rollcall_sessions ", "rollcall_events_sent_total ",
                "rollcall_frames_sent_total ", "rollcall_events_batched_total ",
                "rollcall_drops_total{reason=\"clientDisconnected\"} ", "rollcall_errors_total{code=\"1004\"} ")) {
            assertTrue(text.contains("\n" + name), name + " missing in\n" + text);
        }
        assertTrue(metric(text, "rollcall_jvm_heap_used_bytes") > 0);
        assertTrue(metric(text, "rollcall_connections") >= 1);
        assertTrue(metric(text, "rollcall_sessions") >= 1);
        assertTrue(metric(text, "rollcall_events_sent_total") >= 2);
        assertTrue(metric(text, "rollcall_drops_total{reason=\"clientDisconnected\"}") >= 1);
    }

    static long metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in metrics");
    }

    @Test
    void staticFilesAreServedWithTheirContentType() {
        HttpResponse<String> index = fixture.get("/");
        assertEquals(200, index.statusCode());
        assertEquals("text/html; charset=utf-8", index.headers().firstValue("Content-Type").orElse(""));

        HttpResponse<String> script = fixture.get("/test-fixture.js");
        assertEquals(200, script.statusCode());
        assertEquals("text/javascript; charset=utf-8", script.headers().firstValue("Content-Type").orElse(""));
        assertEquals("export const fixture = \"test\";\n", script.body());

        HttpResponse<String> nested = fixture.get("/sub/nested.css");
        assertEquals(200, nested.statusCode());
        assertEquals("text/css; charset=utf-8", nested.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void missingFilesDirectoriesAndTraversalAre404() throws Exception {
        for (String path : List.of("/nope.js", "/sub", "/sub/", "/%2e%2e/pom.xml", "/sub/%2e%2e/test-fixture.js",
                "/..%2fweb%2findex.html", "/org/rollcall/server/Main.class", "/%5c..%5cindex.html")) {
            assertEquals(404, rawStatus(path), path);
        }
    }

    /** Sends the path as is: the JDK client would normalize it. */
    private static int rawStatus(String path) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", fixture.port())) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() {
        assertEquals(404, fixture.get("/v2/whatever").statusCode());
        HttpResponse<String> post = fixture.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/health"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, post.statusCode());
    }
}
