package org.rollcall.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * Mints tokens for one app. An app's backend holds one of these and gives each client a token for
 * the session it may join:
 *
 * <pre>{@code
 * TokenGenerator tokens = new TokenGenerator(apiKey, secret);
 * String token = tokens.generate("room-1", TokenOptions.defaults().data("name=ann"));
 * }</pre>
 *
 * Thread-safe.
 */
public final class TokenGenerator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String apiKey;
    private final String secret;

    /**
     * @throws IllegalArgumentException if the API key is malformed or the secret is empty
     */
    public TokenGenerator(String apiKey, String secret) {
        if (!Tokens.isValidApiKey(apiKey)) {
            throw new IllegalArgumentException("API key must match [A-Za-z0-9_-]{1,64}");
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret must not be empty");
        }
        this.apiKey = apiKey;
        this.secret = secret;
    }

    /** A publisher token with no data that lives {@link TokenOptions#DEFAULT_TTL}. */
    public String generate(String sessionId) {
        return generate(sessionId, TokenOptions.defaults());
    }

    /**
     * @throws IllegalArgumentException if the session ID is malformed, the data is over
     *     {@value Tokens#MAX_DATA_BYTES} bytes, or the lifetime is not positive
     */
    public String generate(String sessionId, TokenOptions options) {
        Objects.requireNonNull(options, "options");
        if (!Tokens.isValidSessionId(sessionId)) {
            throw new IllegalArgumentException("session ID must match [A-Za-z0-9_.~-]{1,128}");
        }
        if (!Tokens.isValidData(options.data())) {
            throw new IllegalArgumentException("data is over " + Tokens.MAX_DATA_BYTES + " bytes of UTF-8");
        }
        if (options.ttl().isNegative() || options.ttl().isZero()) {
            throw new IllegalArgumentException("ttl must be positive");
        }
        Instant now = options.now() != null ? options.now() : Instant.now();
        ObjectNode claims = JSON.createObjectNode()
                .put("apiKey", apiKey)
                .put("sessionId", sessionId)
                .put("role", options.role().wireName())
                .put("iat", now.getEpochSecond())
                .put("exp", now.plus(options.ttl()).getEpochSecond())
                .put("nonce", Tokens.randomString(12))
                .put("data", options.data());
        String payload = Tokens.base64(claims.toString().getBytes(StandardCharsets.UTF_8));
        return Tokens.PREFIX + payload + "." + Tokens.base64(Tokens.sign(secret, payload));
    }
}
