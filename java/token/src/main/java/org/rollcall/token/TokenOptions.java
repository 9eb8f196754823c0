package org.rollcall.token;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What goes into a token besides its session: role, connection data, lifetime and the minting time.
 * Immutable; each {@code with} method returns a copy.
 */
public final class TokenOptions {
    /** Tokens live a day unless told otherwise, as OpenTok's do. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);

    private final Role role;
    private final String data;
    private final Duration ttl;
    private final Instant now;

    private TokenOptions(Role role, String data, Duration ttl, Instant now) {
        this.role = Objects.requireNonNull(role, "role");
        this.data = Objects.requireNonNull(data, "data");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.now = now;
    }

    /** Publisher, empty data, a 24 h lifetime, minted at the current time. */
    public static TokenOptions defaults() {
        return new TokenOptions(Role.PUBLISHER, "", DEFAULT_TTL, null);
    }

    public TokenOptions role(Role role) {
        return new TokenOptions(role, data, ttl, now);
    }

    /** Connection data, at most {@value Tokens#MAX_DATA_BYTES} bytes of UTF-8. */
    public TokenOptions data(String data) {
        return new TokenOptions(role, data, ttl, now);
    }

    public TokenOptions ttl(Duration ttl) {
        return new TokenOptions(role, data, ttl, now);
    }

    /** Mints as if the time were {@code now}; for tests and for tokens valid in the past. */
    public TokenOptions now(Instant now) {
        return new TokenOptions(role, data, ttl, now);
    }

    public Role role() {
        return role;
    }

    public String data() {
        return data;
    }

    public Duration ttl() {
        return ttl;
    }

    /** The minting time, or {@code null} for the current time. */
    public Instant now() {
        return now;
    }
}
