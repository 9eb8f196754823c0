package org.rollcall.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.rollcall.token.TokenVerifier;
import org.rollcall.token.Tokens;

/** An app: its API key and secret. Its tokens and admin calls are checked against them. */
public record App(String apiKey, String secret) {
    public App {
        if (!Tokens.isValidApiKey(apiKey)) {
            throw new IllegalArgumentException("API key must match [A-Za-z0-9_-]{1,64}: " + apiKey);
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret of app " + apiKey + " is empty");
        }
    }

    /** Parses {@code KEY:SECRET}. */
    public static App parse(String keyColonSecret) {
        int colon = keyColonSecret.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("app must be KEY:SECRET, got " + keyColonSecret);
        }
        return new App(keyColonSecret.substring(0, colon), keyColonSecret.substring(colon + 1));
    }

    /** A development app with a random key and secret. */
    public static App random() {
        return new App("dev_" + Tokens.randomString(6), Tokens.randomString(24));
    }

    public boolean secretMatches(String candidate) {
        return candidate != null && MessageDigest.isEqual(
                secret.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    TokenVerifier verifier() {
        return new TokenVerifier(apiKey, secret);
    }

    @Override
    public String toString() {
        return "App[" + apiKey + "]";
    }
}
