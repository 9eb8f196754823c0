package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/** Every refused token gets its OpenTok code and a close, and the session's members hear nothing. */
class TokenFailureTest {
    private static Fixture fixture;
    private static String session;
    private static TestClient observer;

    @BeforeAll
    static void start() {
        fixture = new Fixture();
        session = Fixture.newSession();
        observer = fixture.join(session, "observer");
    }

    @AfterAll
    static void stop() {
        assertEquals(0, observer.events().size(), "the session's member noticed: " + observer.events());
        assertFalse(observer.isClosed());
        fixture.close();
    }

    private static void assertRefused(int code, String apiKey, String sessionId, String token) {
        TestClient client = fixture.open();
        client.send(TestClient.connectFrame(apiKey, sessionId, token, false));
        assertEquals(code, client.awaitError().path("code").asInt());
        assertEquals(1008, client.awaitClose());
    }

    private static String appKey() {
        return Fixture.APP.apiKey();
    }

    @Test
    void malformedToken() {
        assertRefused(1004, appKey(), session, "not-a-token");
        assertRefused(1004, appKey(), session, "rc1.e30.AAAA");
    }

    @Test
    void forgedToken() {
        String forged = new TokenGenerator(appKey(), "guessed-secret").generate(session);
        assertRefused(1004, appKey(), session, forged);
    }

    @Test
    void expiredToken() {
        String expired = new TokenGenerator(appKey(), Fixture.APP.secret()).generate(session,
                TokenOptions.defaults().ttl(Duration.ofMinutes(1)).now(Instant.now().minusSeconds(120)));
        assertRefused(1004, appKey(), session, expired);
    }

    @Test
    void tokenLivingLongerThanTheDefaultMaximumOfThirtyDays() {
        String tooLong = new TokenGenerator(appKey(), Fixture.APP.secret()).generate(session,
                TokenOptions.defaults().ttl(Duration.ofDays(31)));
        assertRefused(1004, appKey(), session, tooLong);
    }

    @Test
    void tokenIssuedInTheFutureBeyondTheClockSkew() {
        String future = new TokenGenerator(appKey(), Fixture.APP.secret()).generate(session,
                TokenOptions.defaults().now(Instant.now().plusSeconds(120)));
        assertRefused(1004, appKey(), session, future);
    }

    @Test
    void theMaximumTtlIsASetting() {
        try (Fixture strict = new Fixture(Fixture.fastConfig().build(),
                Fixture.lenientSecurity().maxTokenTtl(Duration.ofHours(1)).build())) {
            TokenGenerator tokens = new TokenGenerator(appKey(), Fixture.APP.secret());
            String room = Fixture.newSession();
            TestClient refused = strict.open();
            refused.send(TestClient.connectFrame(appKey(), room,
                    tokens.generate(room, TokenOptions.defaults().ttl(Duration.ofHours(2))), false));
            assertEquals(1004, refused.awaitError().path("code").asInt());
            TestClient admitted = strict.track(TestClient.connect(strict.ws, appKey(), room,
                    tokens.generate(room, TokenOptions.defaults().ttl(Duration.ofHours(1)))));
            assertFalse(admitted.connected().path("connection").path("id").asText().isEmpty());
        }
    }

    @Test
    void tokenForAnotherSession() {
        assertRefused(1004, appKey(), session, fixture.token("another-session", "x"));
    }

    @Test
    void tokenForAnotherApp() {
        String otherAppsToken = new TokenGenerator(Fixture.OTHER_APP.apiKey(), Fixture.OTHER_APP.secret()).generate(session);
        assertRefused(1004, appKey(), session, otherAppsToken);
        assertRefused(1004, Fixture.OTHER_APP.apiKey(), session, fixture.token(session, "x"));
    }

    @Test
    void unknownApiKey() {
        assertRefused(1004, "no-such-app", session, fixture.token(session, "x"));
    }

    @Test
    void malformedSessionIdIsInvalidSession() {
        assertRefused(1005, appKey(), "bad session/id", fixture.token(session, "x"));
        assertRefused(1005, appKey(), "", fixture.token(session, "x"));
    }
}
