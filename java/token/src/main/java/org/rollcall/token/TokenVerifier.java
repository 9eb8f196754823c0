package org.rollcall.token;

import static org.rollcall.token.InvalidTokenException.AUTHORIZATION_FAILURE;
import static org.rollcall.token.InvalidTokenException.INVALID_SESSION;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Checks tokens of one app. Thread-safe.
 *
 * <pre>{@code
 * TokenClaims claims = new TokenVerifier(apiKey, secret).verify(token, sessionId);
 * }</pre>
 *
 * <p>Besides the signature and the expiry it bounds what a leaked signing key or a careless
 * backend can do: a token may live at most {@code maxTtl} ({@code exp - iat}), and its {@code iat}
 * may lie at most {@code maxClockSkew} in the future (a token "issued tomorrow" is a forgery or a
 * broken clock, and would otherwise outlive every TTL check made against its own claims).
 */
public final class TokenVerifier {
    /** OpenTok's own ceiling for a token's lifetime. */
    public static final Duration DEFAULT_MAX_TTL = Duration.ofDays(30);
    /** How far apart the clocks of the minting backend and the server may be. */
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(60);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String apiKey;
    private final String secret;
    private final Duration maxTtl;
    private final Duration maxClockSkew;

    /** With {@link #DEFAULT_MAX_TTL} and {@link #DEFAULT_MAX_CLOCK_SKEW}. */
    public TokenVerifier(String apiKey, String secret) {
        this(apiKey, secret, DEFAULT_MAX_TTL, DEFAULT_MAX_CLOCK_SKEW);
    }

    /**
     * @param maxTtl longest lifetime ({@code exp - iat}) accepted
     * @param maxClockSkew how far in the future {@code iat} may be
     */
    public TokenVerifier(String apiKey, String secret, Duration maxTtl, Duration maxClockSkew) {
        this.apiKey = apiKey;
        this.secret = secret;
        this.maxTtl = Objects.requireNonNull(maxTtl, "maxTtl");
        this.maxClockSkew = Objects.requireNonNull(maxClockSkew, "maxClockSkew");
        if (maxTtl.isNegative() || maxTtl.isZero() || maxClockSkew.isNegative()) {
            throw new IllegalArgumentException("maxTtl must be positive and maxClockSkew not negative");
        }
    }

    /** The longest lifetime ({@code exp - iat}) this verifier accepts. */
    public Duration maxTtl() {
        return maxTtl;
    }

    /** How far in the future a token's {@code iat} may lie. */
    public Duration maxClockSkew() {
        return maxClockSkew;
    }

    /** Verifies at the current time. See {@link #verify(String, String, Instant)}. */
    public TokenClaims verify(String token, String sessionId) throws InvalidTokenException {
        return verify(token, sessionId, Instant.now());
    }

    /**
     * Returns the token's claims if it was signed with this app's secret, names this app and
     * {@code sessionId}, has not expired at {@code now}, was not issued more than the clock skew
     * after {@code now}, and lives no longer than the maximum TTL.
     *
     * @throws InvalidTokenException with code 1005 if {@code sessionId} is malformed, else 1004 if
     *     the token is malformed, forged, expired, issued in the future, too long-lived, or for
     *     another session or app
     */
    public TokenClaims verify(String token, String sessionId, Instant now) throws InvalidTokenException {
        if (!Tokens.isValidSessionId(sessionId)) {
            throw new InvalidTokenException(INVALID_SESSION, "session ID is malformed");
        }
        String payload = checkedPayload(token);
        TokenClaims claims = parseClaims(payload);
        if (!apiKey.equals(claims.apiKey())) {
            throw refused("token is for another app");
        }
        if (!sessionId.equals(claims.sessionId())) {
            throw refused("token is for another session");
        }
        if (!now.isBefore(claims.expiresAt())) {
            throw refused("token has expired");
        }
        if (claims.issuedAt().isAfter(now.plus(maxClockSkew))) {
            throw refused("token is issued in the future (iat beyond the allowed clock skew of "
                    + maxClockSkew.toSeconds() + " s)");
        }
        if (!claims.expiresAt().isAfter(claims.issuedAt())
                || Duration.between(claims.issuedAt(), claims.expiresAt()).compareTo(maxTtl) > 0) {
            throw refused("token lifetime exceeds the maximum of " + maxTtl.toSeconds() + " s");
        }
        return claims;
    }

    /** Splits the token, checks its signature in constant time and returns its payload part. */
    private String checkedPayload(String token) throws InvalidTokenException {
        if (token == null || !token.startsWith(Tokens.PREFIX)) {
            throw refused("token is malformed");
        }
        String rest = token.substring(Tokens.PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0 || dot != rest.lastIndexOf('.')) {
            throw refused("token is malformed");
        }
        String payload = rest.substring(0, dot);
        byte[] signature;
        try {
            signature = Tokens.unbase64(rest.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw refused("token is malformed");
        }
        if (!MessageDigest.isEqual(signature, Tokens.sign(secret, payload))) {
            throw refused("token signature does not match");
        }
        return payload;
    }

    private static TokenClaims parseClaims(String payload) throws InvalidTokenException {
        try {
            JsonNode json = JSON.readTree(Tokens.unbase64(payload));
            String data = text(json, "data");
            if (!Tokens.isValidData(data)) {
                throw refused("token data is over " + Tokens.MAX_DATA_BYTES + " bytes");
            }
            return new TokenClaims(text(json, "apiKey"), text(json, "sessionId"),
                    Role.fromWireName(text(json, "role")),
                    Instant.ofEpochSecond(number(json, "iat")), Instant.ofEpochSecond(number(json, "exp")),
                    text(json, "nonce"), data);
        } catch (IOException | IllegalArgumentException e) {
            throw refused("token is malformed");
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("missing " + field);
        }
        return value.asText();
    }

    private static long number(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.canConvertToLong()) {
            throw new IllegalArgumentException("missing " + field);
        }
        return value.asLong();
    }

    private static InvalidTokenException refused(String message) {
        return new InvalidTokenException(AUTHORIZATION_FAILURE, message);
    }
}
