package org.rollcall.token;

import java.time.Instant;

/** What a verified token says. */
public record TokenClaims(String apiKey, String sessionId, Role role, Instant issuedAt, Instant expiresAt,
                          String nonce, String data) {
}
