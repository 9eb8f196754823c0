package org.rollcall.token;

import static org.rollcall.token.InvalidTokenException.AUTHORIZATION_FAILURE;
import static org.rollcall.token.InvalidTokenException.INVALID_SESSION;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Instant;

/**
 * Checks tokens of one app. Thread-safe.
 *
 * <pre>{@code
 * TokenClaims claims = new TokenVerifier(apiKey, secret).verify(token, sessionId);
 * }</pre>
 */
public final class TokenVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String apiKey;
    private final String secret;

    public TokenVerifier(String apiKey, String secret) {
        this.apiKey = apiKey;
        this.secret = secret;
    }

    /** Verifies at the current time. See {@link #verify(String, String, Instant)}. */
    public TokenClaims verify(String token, String sessionId) throws InvalidTokenException {
        return verify(token, sessionId, Instant.now());
    }

    /**
     * Returns the token's claims if it was signed with this app's secret, names this app and
     * {@code sessionId}, and has not expired at {@code now}.
     *
     * @throws InvalidTokenException with code 1005 if {@code sessionId} is malformed, else 1004 if
     *     the token is malformed, forged, expired, or for another session or app
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
