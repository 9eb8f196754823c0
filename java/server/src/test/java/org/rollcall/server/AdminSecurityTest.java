package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The admin API's defences: its own credentials, a throttle on failed logins, an optional listener of its own. */
class AdminSecurityTest {
    private static final String LIST = "/v1/admin/sessions/room-1/connections";

    @Test
    void aThousandWrongGuessesGet429AfterTheThreshold() {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().build(), SecurityConfig.defaults())) {
            int unauthorized = 0;
            int throttled = 0;
            for (int i = 0; i < 1000; i++) {
                int status = fixture.get(LIST, "Authorization", HttpApiTest.basic(Fixture.APP.apiKey(), "guess-" + i))
                        .statusCode();
                if (status == 401) {
                    unauthorized++;
                } else if (status == 429) {
                    throttled++;
                }
            }
            int burst = SecurityConfig.defaults().adminLoginBurst();
            assertTrue(unauthorized >= burst && unauthorized <= burst + 2, "401s: " + unauthorized);
            assertEquals(1000 - unauthorized, throttled, "every guess after the threshold gets 429");

            // While throttled, the right credentials get 429 too: the answer tells a guesser nothing.
            HttpResponse<String> right = fixture.get(LIST, "Authorization", HttpApiTest.basic(Fixture.APP));
            assertEquals(429, right.statusCode());
            assertTrue(right.headers().firstValue("Retry-After").isPresent());
            // The rest of the server does not care.
            assertEquals(200, fixture.get("/health").statusCode());
        }
    }

    @Test
    void aSeparateAdminListenerServesTheAdminApiAndThePublicPortDoesNot() throws Exception {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().build(), Fixture.lenientSecurity().adminPort(0).build())) {
            String session = Fixture.newSession();
            TestClient ann = fixture.join(session, "ann");
            String list = "/v1/admin/sessions/" + session + "/connections";
            String admin = fixture.server.adminUrl();
            assertTrue(fixture.server.adminPort() != fixture.port());

            HttpResponse<String> there = get(admin + list, HttpApiTest.basic(Fixture.APP));
            assertEquals(200, there.statusCode());
            assertTrue(there.body().contains(ann.id()), there.body());
            assertEquals(404, fixture.get(list, "Authorization", HttpApiTest.basic(Fixture.APP)).statusCode(),
                    "no admin API on the public port");
            assertEquals(200, get(admin + "/health", null).statusCode());
            assertEquals(404, get(admin + "/", null).statusCode(), "no browser client on the admin port");
            assertEquals(200, fixture.get("/health").statusCode());
        }
    }

    @Test
    void anAppWithoutAnAdminSecretHasNoAdminApi() throws Exception {
        App noAdmin = new App("plain", "plain-secret");
        try (RollcallServer server = RollcallServer.builder().port(0).app(noAdmin).build().start()) {
            assertEquals(401, get(server.url() + LIST, HttpApiTest.basic(noAdmin.apiKey(), noAdmin.secret())).statusCode());
        }
    }

    private static HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
