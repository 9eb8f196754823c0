package org.rollcall.server;

/** A client broke the protocol or was refused: the socket gets an error frame and is closed. */
final class ProtocolException extends Exception {
    private final ErrorCode code;

    ProtocolException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
