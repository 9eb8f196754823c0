package org.rollcall;

/**
 * An error of a session, with its {@link ErrorCode}. Delivered to
 * {@link Session.SessionListener#onError}, and the failure of {@link Session#connectAsync}'s
 * stage; unchecked, as no method of the binding throws it. Codes that a server sends are passed
 * through as they are ({@link #getCode()}), so a code may be one not listed in {@link ErrorCode}.
 * The int constants below are the same numbers, kept for existing code.
 */
public class RollcallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The token is malformed, forged, expired, or for another session or app. Final. */
    public static final int AUTHORIZATION_FAILURE = 1004;
    /** The session ID is malformed. Final. */
    public static final int INVALID_SESSION = 1005;
    /** The server could not be reached or reconnection gave up. */
    public static final int CONNECTION_FAILED = 1006;
    /** {@link ErrorCode#NOT_CONNECTED}. */
    public static final int NOT_CONNECTED = 1010;
    /** The server did not understand a message of the client. */
    public static final int INVALID_PARAMETER = 1011;
    /** {@link ErrorCode#ILLEGAL_STATE}. */
    public static final int ILLEGAL_STATE = 1015;
    /** {@link ErrorCode#CONNECTION_TIMED_OUT}. */
    public static final int CONNECTION_TIMED_OUT = 1021;
    /** Too many new connections from this address. */
    public static final int CONNECTION_REFUSED = 1023;
    /** The session is full. */
    public static final int CONNECTION_LIMIT_EXCEEDED = 1027;
    /** {@link ErrorCode#DATA_TOO_LONG}. */
    public static final int DATA_TOO_LONG = 1413;
    /** Rollcall: the client sent faster than its rate limit. */
    public static final int TOO_MANY_MESSAGES = 1429;
    /** Rollcall: the client read too slowly and the server dropped it. */
    public static final int SLOW_CONSUMER = 1503;
    /** {@link ErrorCode#INTERNAL_ERROR}. */
    public static final int INTERNAL_ERROR = 2000;
    /** A malformed or unexpected message from the server. Final. */
    public static final int UNEXPECTED_SERVER_RESPONSE = 2001;

    private final int code;

    /** An error with this wire code and message. */
    public RollcallException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The error code, e.g. {@link #AUTHORIZATION_FAILURE}. */
    public int getCode() {
        return code;
    }

    /** The error code as a constant, {@link ErrorCode#UNKNOWN} for a number it does not list. */
    public ErrorCode getErrorCode() {
        return ErrorCode.of(code);
    }

    @Override
    public String toString() {
        return "RollcallException[" + code + "]: " + getMessage();
    }
}
