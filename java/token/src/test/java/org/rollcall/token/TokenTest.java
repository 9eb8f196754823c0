package org.rollcall.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final TokenGenerator generator = new TokenGenerator("app1", "s3cret");
    private final TokenVerifier verifier = new TokenVerifier("app1", "s3cret");

    @Test
    void roundTripCarriesEveryClaim() throws Exception {
        String token = generator.generate("room-1", TokenOptions.defaults()
                .role(Role.MODERATOR).data("name=ann ü").ttl(Duration.ofMinutes(5)).now(NOW));

        TokenClaims claims = verifier.verify(token, "room-1", NOW.plusSeconds(10));

        assertEquals("app1", claims.apiKey());
        assertEquals("room-1", claims.sessionId());
        assertEquals(Role.MODERATOR, claims.role());
        assertEquals("name=ann ü", claims.data());
        assertEquals(NOW, claims.issuedAt());
        assertEquals(NOW.plusSeconds(300), claims.expiresAt());
        assertTrue(claims.nonce().length() >= 16);
    }

    @Test
    void defaultTokenIsAPublisherWithNoDataForADay() throws Exception {
        TokenClaims claims = verifier.verify(generator.generate("room-1"), "room-1");
        assertEquals(Role.PUBLISHER, claims.role());
        assertEquals("", claims.data());
        assertEquals(Duration.ofHours(24), Duration.between(claims.issuedAt(), claims.expiresAt()));
    }

    @Test
    void tokensDifferByNonce() {
        assertNotEquals(generator.generate("room-1"), generator.generate("room-1"));
    }

    @Test
    void tokenFollowsTheDocumentedFormat() {
        String token = generator.generate("room-1");
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        assertEquals("rc1", parts[0]);
        String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"sessionId\":\"room-1\""), json);
        assertEquals(32, Base64.getUrlDecoder().decode(parts[2]).length);
    }

    @Test
    void expiredTokenIsRefused() {
        String token = generator.generate("room-1", TokenOptions.defaults().ttl(Duration.ofSeconds(60)).now(NOW));
        assertCode(1004, () -> verifier.verify(token, "room-1", NOW.plusSeconds(60)));
    }

    @Test
    void tokenLivingLongerThanTheMaximumTtlIsRefused() throws Exception {
        TokenVerifier strict = new TokenVerifier("app1", "s3cret", Duration.ofHours(1), Duration.ofSeconds(60));
        String hour = generator.generate("room-1", TokenOptions.defaults().ttl(Duration.ofHours(1)).now(NOW));
        String longer = generator.generate("room-1", TokenOptions.defaults().ttl(Duration.ofSeconds(3601)).now(NOW));
        strict.verify(hour, "room-1", NOW.plusSeconds(1));
        assertCode(1004, () -> strict.verify(longer, "room-1", NOW.plusSeconds(1)));
    }

    @Test
    void theDefaultMaximumTtlIsThirtyDays() throws Exception {
        String month = generator.generate("room-1", TokenOptions.defaults().ttl(Duration.ofDays(30)).now(NOW));
        String longer = generator.generate("room-1", TokenOptions.defaults().ttl(Duration.ofDays(31)).now(NOW));
        verifier.verify(month, "room-1", NOW);
        assertCode(1004, () -> verifier.verify(longer, "room-1", NOW));
    }

    @Test
    void tokenIssuedInTheFutureBeyondTheClockSkewIsRefused() throws Exception {
        String skewed = generator.generate("room-1", TokenOptions.defaults().now(NOW.plusSeconds(60)));
        String future = generator.generate("room-1", TokenOptions.defaults().now(NOW.plusSeconds(61)));
        verifier.verify(skewed, "room-1", NOW);
        assertCode(1004, () -> verifier.verify(future, "room-1", NOW));
    }

    @Test
    void tokenWhoseExpiryIsNotAfterItsIssueIsRefused() {
        String payload = "{\"apiKey\":\"app1\",\"sessionId\":\"room-1\",\"role\":\"publisher\","
                + "\"iat\":" + NOW.getEpochSecond() + ",\"exp\":" + (NOW.getEpochSecond() - 10)
                + ",\"nonce\":\"n\",\"data\":\"\"}";
        String encoded = Tokens.base64(payload.getBytes(StandardCharsets.UTF_8));
        String token = Tokens.PREFIX + encoded + "." + Tokens.base64(Tokens.sign("s3cret", encoded));
        assertCode(1004, () -> verifier.verify(token, "room-1", NOW.minusSeconds(20)));
    }

    @Test
    void forgedTokenIsRefused() {
        String forged = new TokenGenerator("app1", "guessed").generate("room-1");
        assertCode(1004, () -> verifier.verify(forged, "room-1"));
    }

    @Test
    void tamperedPayloadIsRefused() {
        String token = generator.generate("room-1", TokenOptions.defaults().data("user"));
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"user\"", "\"admin\"");
        String tampered = "rc1." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertCode(1004, () -> verifier.verify(tampered, "room-1"));
    }

    @Test
    void tokenForAnotherSessionIsRefused() {
        assertCode(1004, () -> verifier.verify(generator.generate("room-1"), "room-2"));
    }

    @Test
    void tokenForAnotherAppIsRefused() {
        String otherApp = new TokenGenerator("app2", "s3cret").generate("room-1");
        assertCode(1004, () -> verifier.verify(otherApp, "room-1"));
    }

    @Test
    void malformedTokensAreRefused() {
        for (String token : new String[] {null, "", "rc1.", "rc1..", "rc2.a.b", "rc1.abc", "rc1.a.b.c", "rc1.!!.??",
                "rc1.e30." + "A".repeat(43)}) {
            assertCode(1004, () -> verifier.verify(token, "room-1"));
        }
    }

    @Test
    void malformedSessionIdIsInvalidSession() {
        String token = generator.generate("room-1");
        for (String sessionId : new String[] {null, "", "room 1", "room/1", "x".repeat(129)}) {
            assertCode(1005, () -> verifier.verify(token, sessionId));
        }
    }

    @Test
    void generatorRejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new TokenGenerator("bad key", "s"));
        assertThrows(IllegalArgumentException.class, () -> new TokenGenerator("app", ""));
        assertThrows(IllegalArgumentException.class, () -> generator.generate("bad session"));
        assertThrows(IllegalArgumentException.class,
                () -> generator.generate("room", TokenOptions.defaults().data("x".repeat(1001))));
        assertThrows(IllegalArgumentException.class,
                () -> generator.generate("room", TokenOptions.defaults().ttl(Duration.ZERO)));
    }

    @Test
    void dataOfExactlyTheLimitIsAccepted() throws Exception {
        String data = "é".repeat(500);
        String token = generator.generate("room-1", TokenOptions.defaults().data(data));
        assertEquals(data, verifier.verify(token, "room-1").data());
    }

    private static void assertCode(int code, ThrowingRunnable action) {
        InvalidTokenException e = assertThrows(InvalidTokenException.class, action::run);
        assertEquals(code, e.code(), e.getMessage());
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
