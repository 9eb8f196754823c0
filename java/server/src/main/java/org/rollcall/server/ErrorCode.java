package org.rollcall.server;

/** The error codes of docs/protocol.md, "Errors", each with the WebSocket close status it ends with. */
public enum ErrorCode {
    AUTHORIZATION_FAILURE(1004, 1008),
    INVALID_SESSION(1005, 1008),
    CONNECT_FAILED(1006, 1008),
    INVALID_PARAMETER(1011, 1008),
    ILLEGAL_STATE(1015, 1008),
    CONNECTION_TIMED_OUT(1021, 1008),
    CONNECTION_REFUSED(1023, 1008),
    CONNECTION_LIMIT_EXCEEDED(1027, 1008),
    DATA_TOO_LONG(1413, 1009),
    TOO_MANY_MESSAGES(1429, 1008),
    SLOW_CONSUMER(1503, 1008),
    INTERNAL_ERROR(2000, 1011);

    private final int code;
    private final int closeStatus;

    ErrorCode(int code, int closeStatus) {
        this.code = code;
        this.closeStatus = closeStatus;
    }

    public int code() {
        return code;
    }

    public int closeStatus() {
        return closeStatus;
    }

    static ErrorCode of(int code) {
        for (ErrorCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        throw new IllegalArgumentException("no error code " + code);
    }
}
