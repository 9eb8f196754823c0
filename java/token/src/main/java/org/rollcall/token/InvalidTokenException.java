package org.rollcall.token;

/**
 * A token that must be refused. {@link #code()} is the OpenTok error code the server sends:
 * {@link #AUTHORIZATION_FAILURE} (malformed, forged, expired, other session, other app) or
 * {@link #INVALID_SESSION} (the session ID itself is malformed).
 */
public class InvalidTokenException extends Exception {
    public static final int AUTHORIZATION_FAILURE = 1004;
    public static final int INVALID_SESSION = 1005;

    private final int code;

    public InvalidTokenException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
