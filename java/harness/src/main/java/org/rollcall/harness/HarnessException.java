package org.rollcall.harness;

/** The harness could not run a scenario (a process died, the server did not answer, ...). */
final class HarnessException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HarnessException(String message) {
        super(message);
    }

    HarnessException(String message, Throwable cause) {
        super(message, cause);
    }
}
