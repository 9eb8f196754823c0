package org.rollcall.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import org.rollcall.token.TokenVerifier;
import org.rollcall.token.Tokens;

/**
 * An app: its API key, the secret that signs its tokens, and the separate secret of its admin API.
 *
 * <p>The two secrets are apart on purpose: the signing secret lives in the app's backend and mints
 * any token for any session, so it should never travel; the admin secret is what operators and
 * tools send on every admin call. An app without an admin secret has no admin API (401).
 */
public final class App {
    private final String apiKey;
    private final String secret;
    private final String adminSecret;
    private final TokenVerifier verifier;

    /** An app without an admin API. */
    public App(String apiKey, String secret) {
        this(apiKey, secret, null);
    }

    /** @param adminSecret the admin API's secret (HTTP Basic {@code apiKey:adminSecret}); null for none */
    public App(String apiKey, String secret, String adminSecret) {
        this(apiKey, secret, adminSecret, TokenVerifier.DEFAULT_MAX_TTL, TokenVerifier.DEFAULT_MAX_CLOCK_SKEW);
    }

    private App(String apiKey, String secret, String adminSecret, Duration maxTokenTtl, Duration tokenClockSkew) {
        if (!Tokens.isValidApiKey(apiKey)) {
            throw new IllegalArgumentException("API key must match [A-Za-z0-9_-]{1,64}: " + apiKey);
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret of app " + apiKey + " is empty");
        }
        if (adminSecret != null && adminSecret.isEmpty()) {
            throw new IllegalArgumentException("admin secret of app " + apiKey + " is empty");
        }
        if (secret.equals(adminSecret)) {
            throw new IllegalArgumentException("the admin secret of app " + apiKey + " must differ from its signing secret");
        }
        this.apiKey = apiKey;
        this.secret = secret;
        this.adminSecret = adminSecret;
        this.verifier = new TokenVerifier(apiKey, secret, maxTokenTtl, tokenClockSkew);
    }

    /** Parses {@code KEY:SECRET} (the secret is everything after the first colon), as {@code --app} takes it. */
    public static App parse(String keyColonSecret) {
        int colon = keyColonSecret.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("app must be KEY:SECRET, got " + redacted(keyColonSecret));
        }
        return new App(keyColonSecret.substring(0, colon), keyColonSecret.substring(colon + 1));
    }

    /**
     * Parses an entry of an apps file or of {@code ROLLCALL_APPS}: {@code KEY:SECRET} or
     * {@code KEY:SECRET:ADMIN_SECRET}. Neither secret may hold a colon here.
     */
    public static App parseEntry(String entry) {
        String[] parts = entry.trim().split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("app entry must be KEY:SECRET or KEY:SECRET:ADMIN_SECRET, got "
                    + redacted(entry));
        }
        return new App(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /** A development app with a random key, secret and admin secret. */
    public static App random() {
        return new App("dev_" + Tokens.randomString(6), Tokens.randomString(24), Tokens.randomString(24));
    }

    public String apiKey() {
        return apiKey;
    }

    public String secret() {
        return secret;
    }

    /** The admin API's secret, or null when this app has no admin API. */
    public String adminSecret() {
        return adminSecret;
    }

    /** This app with that admin secret. */
    public App withAdminSecret(String adminSecret) {
        return new App(apiKey, secret, adminSecret, verifier.maxTtl(), verifier.maxClockSkew());
    }

    /** This app with the server's token limits (docs/server.md, {@code --max-token-ttl}). */
    App withTokenLimits(Duration maxTokenTtl, Duration tokenClockSkew) {
        return new App(apiKey, secret, adminSecret, maxTokenTtl, tokenClockSkew);
    }

    /** Constant time; false when the app has no admin secret. */
    public boolean adminSecretMatches(String candidate) {
        return adminSecret != null && candidate != null && MessageDigest.isEqual(
                adminSecret.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    TokenVerifier verifier() {
        return verifier;
    }

    /** The key only: an error message quoting the input must not print a secret. */
    private static String redacted(String entry) {
        int colon = entry.indexOf(':');
        return colon < 0 ? "'" + LogText.escape(entry.length() > 64 ? entry.substring(0, 64) : entry) + "'"
                : "'" + LogText.escape(entry.substring(0, colon)) + ":…'";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof App app && apiKey.equals(app.apiKey) && secret.equals(app.secret)
                && Objects.equals(adminSecret, app.adminSecret);
    }

    @Override
    public int hashCode() {
        return Objects.hash(apiKey, secret, adminSecret);
    }

    @Override
    public String toString() {
        return "App[" + apiKey + "]";
    }
}
