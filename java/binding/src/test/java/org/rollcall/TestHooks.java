package org.rollcall;

/**
 * Test and benchmark hooks (in the binding's test-jar, not its production jar), the Java side of
 * libotc's {@code <otc/testing.h>} through {@link TestNatives}. Not part of the stable API.
 */
public final class TestHooks {
    private TestHooks() {
    }

    /**
     * Delivers {@code pairs} synthetic created+dropped pairs (reason
     * {@link DropReason#CLIENT_DISCONNECTED}) to the session's listeners,
     * without any network. Only on a session that is not connecting or connected.
     *
     * @throws IllegalStateException if the session is connecting, connected or closed
     * @throws IllegalArgumentException if {@code pairs} is negative
     */
    public static void injectConnectionEvents(Session session, int pairs) {
        NativeLibrary.check(session.nativeSession().call(
                native_ -> TestNatives.injectConnectionEvents(native_.address(), pairs)),
                "inject events", session.getSessionId());
    }

    /**
     * Drops the session's socket without a close frame, as a broken network would; the session
     * then reconnects.
     *
     * @throws IllegalStateException if the session is not connecting or connected, or closed
     */
    public static void dropSocket(Session session) {
        NativeLibrary.check(session.nativeSession().call(native_ -> TestNatives.dropSocket(native_.address())),
                "drop socket", session.getSessionId());
    }

    /**
     * A {@link Connection} as a listener would receive it from an event at {@code (epoch, seq)}
     * ({@code seq} -1: none, as from a roster), without a server: for checkers fed crafted events.
     */
    public static Connection connection(String id, String data, long epoch, long seq, DropReason reason) {
        return new Connection(id, data, 0, reason, epoch, seq);
    }

    /** Makes sure libotc is loaded and its library thread started. */
    public static void startLibrary() {
        NativeLibrary.ensureStarted();
    }
}
