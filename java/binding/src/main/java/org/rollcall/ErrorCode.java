package org.rollcall;

/**
 * The code of a {@link RollcallException}: OpenTok's error codes where OpenTok has one
 * (docs/protocol.md, "Errors"), and Rollcall's own. A server may send a code not listed here:
 * {@link #UNKNOWN}, with the number kept in {@link RollcallException#getCode()}.
 */
public enum ErrorCode {
    /** The token is malformed, forged, expired, or for another session or app. Final. */
    AUTHORIZATION_FAILURE(1004),
    /** The session ID is malformed. Final. */
    INVALID_SESSION(1005),
    /** The server could not be reached, or reconnection gave up. */
    CONNECTION_FAILED(1006),
    /** The session is not connected. */
    NOT_CONNECTED(1010),
    /** The server did not understand a message of the client. */
    INVALID_PARAMETER(1011),
    /** The request does not fit the session's state. */
    ILLEGAL_STATE(1015),
    /** The server did not answer in time. */
    CONNECTION_TIMED_OUT(1021),
    /** Too many new connections from this address. */
    CONNECTION_REFUSED(1023),
    /** The session is full. */
    CONNECTION_LIMIT_EXCEEDED(1027),
    /** The connection data or a message is too long. */
    DATA_TOO_LONG(1413),
    /** Rollcall: the client sent faster than its rate limit. */
    TOO_MANY_MESSAGES(1429),
    /** Rollcall: the client read too slowly and the server dropped it. */
    SLOW_CONSUMER(1503),
    /** The server failed; not the client's fault. */
    INTERNAL_ERROR(2000),
    /** A malformed or unexpected message from the server. Final. */
    UNEXPECTED_SERVER_RESPONSE(2001),
    /** A code this version of the binding does not know. */
    UNKNOWN(-1);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The number on the wire, e.g. 1004; -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** The constant for a number, {@link #UNKNOWN} when there is none. */
    public static ErrorCode of(int code) {
        for (ErrorCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return UNKNOWN;
    }
}
