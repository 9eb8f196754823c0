package org.rollcall.server;

import java.time.Duration;
import java.util.Objects;
import org.rollcall.token.TokenVerifier;

/**
 * The server's defences against hostile input: token limits, the admin API's listener and login
 * throttle, the per-address socket cap and the log's per-address warning interval. Defaults and
 * their reasons are in docs/server.md. Build with {@link #builder()}.
 *
 * @param maxTokenTtl tokens whose {@code exp - iat} exceeds it are refused (1004)
 * @param tokenClockSkew tokens whose {@code iat} lies further in the future are refused (1004)
 * @param adminHost address of the separate admin listener; null for the server's own host
 * @param adminPort port of the separate admin listener, 0 for any free port, or {@link #SAME_PORT}:
 *     no separate listener, the admin API is on the server's port
 * @param adminLoginBurst failed admin logins one remote address may make at once before it gets 429
 * @param adminLoginRate failed admin logins per second it may make after that
 * @param maxSocketsPerAddress open sockets (HTTP and WebSocket) per remote address; over it an
 *     upgrade request gets 429 and anything else is closed
 * @param warnIntervalMs at most one warning per remote address per interval; the rest are counted
 */
public record SecurityConfig(
        Duration maxTokenTtl,
        Duration tokenClockSkew,
        String adminHost,
        int adminPort,
        int adminLoginBurst,
        double adminLoginRate,
        int maxSocketsPerAddress,
        long warnIntervalMs) {

    /** {@link #adminPort()} when the admin API shares the server's port. */
    public static final int SAME_PORT = -1;

    public SecurityConfig {
        Objects.requireNonNull(maxTokenTtl, "maxTokenTtl");
        Objects.requireNonNull(tokenClockSkew, "tokenClockSkew");
        if (maxTokenTtl.isNegative() || maxTokenTtl.isZero()) {
            throw new IllegalArgumentException("maxTokenTtl must be positive, got " + maxTokenTtl);
        }
        if (tokenClockSkew.isNegative()) {
            throw new IllegalArgumentException("tokenClockSkew must not be negative, got " + tokenClockSkew);
        }
        if (adminPort < SAME_PORT || adminPort > 65535) {
            throw new IllegalArgumentException("adminPort must be -1 (same port), 0 or a port, got " + adminPort);
        }
        if (adminLoginBurst < 1 || !(adminLoginRate > 0) || maxSocketsPerAddress < 1 || warnIntervalMs < 1) {
            throw new IllegalArgumentException("adminLoginBurst, adminLoginRate, maxSocketsPerAddress and "
                    + "warnIntervalMs must be positive");
        }
    }

    public static SecurityConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether the admin API has a listener of its own. */
    public boolean separateAdminListener() {
        return adminPort != SAME_PORT;
    }

    public Builder toBuilder() {
        return new Builder().maxTokenTtl(maxTokenTtl).tokenClockSkew(tokenClockSkew)
                .adminHost(adminHost).adminPort(adminPort)
                .adminLoginBurst(adminLoginBurst).adminLoginRate(adminLoginRate)
                .maxSocketsPerAddress(maxSocketsPerAddress).warnIntervalMs(warnIntervalMs);
    }

    public static final class Builder {
        private Duration maxTokenTtl = TokenVerifier.DEFAULT_MAX_TTL;
        private Duration tokenClockSkew = TokenVerifier.DEFAULT_MAX_CLOCK_SKEW;
        private String adminHost;
        private int adminPort = SAME_PORT;
        private int adminLoginBurst = 10;
        private double adminLoginRate = 0.1;
        private int maxSocketsPerAddress = 10_000;
        private long warnIntervalMs = 10_000;

        private Builder() {
        }

        public Builder maxTokenTtl(Duration value) {
            maxTokenTtl = value;
            return this;
        }

        public Builder tokenClockSkew(Duration value) {
            tokenClockSkew = value;
            return this;
        }

        public Builder adminHost(String value) {
            adminHost = value;
            return this;
        }

        public Builder adminPort(int value) {
            adminPort = value;
            return this;
        }

        public Builder adminLoginBurst(int value) {
            adminLoginBurst = value;
            return this;
        }

        public Builder adminLoginRate(double value) {
            adminLoginRate = value;
            return this;
        }

        public Builder maxSocketsPerAddress(int value) {
            maxSocketsPerAddress = value;
            return this;
        }

        public Builder warnIntervalMs(long value) {
            warnIntervalMs = value;
            return this;
        }

        public SecurityConfig build() {
            return new SecurityConfig(maxTokenTtl, tokenClockSkew, adminHost, adminPort, adminLoginBurst,
                    adminLoginRate, maxSocketsPerAddress, warnIntervalMs);
        }
    }
}
