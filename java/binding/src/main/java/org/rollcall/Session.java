package org.rollcall;

import java.lang.ref.Cleaner;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.rollcall.binding.Core;
import org.rollcall.binding.OtcLib;

/**
 * A Rollcall session: who is in it, and who comes and goes. Modelled on the OpenTok Android SDK's
 * {@code Session}:
 *
 * <pre>{@code
 * try (Session session = new Session.Builder(URI.create("ws://127.0.0.1:8080"), apiKey, sessionId)
 *         .connectionListener(myConnectionListener)
 *         .build()) {
 *     session.connect(token);
 *     ...
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 * All sessions of the JVM share one native thread, the <em>library thread</em>. Without an
 * {@link Builder#executor(Executor) executor}, listeners run on that thread: a listener that
 * blocks delays the events of every session, so keep them short or give the session an executor.
 * With an executor, a session's listeners run on it one at a time, in event order. Either way, a
 * listener that throws is logged (WARN) and the session goes on. The methods of this class may be
 * called from any thread, including from listeners; the getters return the state as the library
 * thread last saw it, which with an executor may be ahead of the event being delivered.
 *
 * <h2>Lifetime</h2>
 * Close a session when done with it ({@link #close()}, or try-with-resources). Keep a reference
 * to it while you use it: a session that becomes unreachable is closed by a {@link Cleaner}, with
 * a warning in the log.
 */
public final class Session implements AutoCloseable {
    /** Where the server takes WebSocket connections when the URI has no path (docs/protocol.md). */
    static final String DEFAULT_PATH = "/v1/ws";

    private static final AtomicLong NEXT_HANDLE = new AtomicLong(1);

    private final String sessionId;
    private final Dispatcher dispatcher;
    private final Roster roster = new Roster(Core::rc_connection_id);
    private final NativeLibrary.NativeSession nativeSession;
    private final Cleaner.Cleanable cleanable;
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile ConnectionListener connectionListener;
    private volatile SessionListener sessionListener;
    private volatile ReconnectionListener reconnectionListener;
    private volatile Connection connection;

    private Session(Builder builder) {
        NativeLibrary.ensureStarted();
        sessionId = builder.sessionId;
        dispatcher = new Dispatcher(builder.executor);
        connectionListener = builder.connectionListener;
        sessionListener = builder.sessionListener;
        reconnectionListener = builder.reconnectionListener;

        nativeSession = new NativeLibrary.NativeSession(NEXT_HANDLE.getAndIncrement(), sessionId, this);
        NativeLibrary.register(nativeSession);
        OtcLib.otc_session_settings settings = builder.nativeSettings();
        try {
            OtcLib.otc_session created =
                    Core.rc_session_new(nativeSession.handle, builder.apiKey, sessionId, settings);
            if (created == null || created.isNull()) {
                NativeLibrary.unregister(nativeSession.handle);
                throw new IllegalStateException("libotc could not create the session"
                        + (NativeLibrary.isStopped() ? ": the JVM is shutting down" : ""));
            }
            nativeSession.attach(created);
        } finally {
            OtcLib.otc_session_settings_delete(settings);
        }
        cleanable = NativeLibrary.CLEANER.register(this, nativeSession);
    }

    /**
     * Starts connecting with a token; returns at once. Then {@link SessionListener#onConnected}
     * and a {@link ConnectionListener#onConnectionCreated} for each client already in the session
     * follow, or {@link SessionListener#onError} (e.g. {@link RollcallException#AUTHORIZATION_FAILURE}
     * for a bad token). A session may connect again after it disconnected or its first attempt
     * failed.
     *
     * @throws NullPointerException if the token is null
     * @throws IllegalArgumentException if the token is empty
     * @throws IllegalStateException if the session is closed, or already connecting or connected
     */
    public void connect(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token must not be empty");
        }
        int status = nativeSession.call(session -> OtcLib.otc_session_connect(session, token));
        if (status == OtcLib.OTC_ERROR_INVALID_STATE) {
            throw new IllegalStateException("session " + sessionId + " is already connecting or connected");
        }
        check(status, "connect");
    }

    /**
     * Leaves the session cleanly (the others see {@link DropReason#CLIENT_DISCONNECTED});
     * {@link SessionListener#onDisconnected} follows. Does nothing when the session is not
     * connecting or connected, or is closed.
     */
    public void disconnect() {
        int status = nativeSession.call(OtcLib::otc_session_disconnect);
        if (status != OtcLib.OTC_ERROR_INVALID_STATE && status != OtcLib.OTC_ERROR_INVALID_HANDLE
                && status != OtcLib.OTC_ERROR_NOT_INITIALIZED) {
            check(status, "disconnect");
        }
    }

    /**
     * Leaves the session if connected (as {@link #disconnect()}, but without
     * {@link SessionListener#onDisconnected}) and frees the native session. Idempotent. May be
     * called from a listener. When it returns, no listener of this session runs any more, except
     * the one that called it; a listener running on another thread is waited for.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        nativeSession.closeByOwner();
        dispatcher.close();
        cleanable.clean();
    }

    /** The session ID given to the builder. */
    public String getSessionId() {
        return sessionId;
    }

    /** This client's own connection, or {@code null} when the session is not connected. */
    public Connection getConnection() {
        return connection;
    }

    /**
     * The other connections in the session now, in order of arrival: a snapshot that does not
     * change. Empty when not connected, and when connection events are suppressed.
     */
    public List<Connection> getConnections() {
        return roster.snapshot();
    }

    public void setConnectionListener(ConnectionListener listener) {
        connectionListener = listener;
    }

    public void setSessionListener(SessionListener listener) {
        sessionListener = listener;
    }

    public void setReconnectionListener(ReconnectionListener listener) {
        reconnectionListener = listener;
    }

    @Override
    public String toString() {
        return "Session[" + sessionId + (closed.get() ? ", closed" : "")
                + (connection == null ? "" : ", connection=" + connection.getConnectionId()) + "]";
    }

    /** Test hook: {@code count} synthetic created/dropped pairs, without network (otc/testing.h). */
    void injectTestEvents(int count) {
        check(nativeSession.call(session -> OtcLib.otc_session_test_inject_connection_events(session, count)),
                "inject events");
    }

    /** Test hook: drops the socket without a close frame, as a broken network would. */
    void dropSocketForTest() {
        check(nativeSession.call(OtcLib::otc_session_test_drop_socket), "drop socket");
    }

    // --- events, on the library thread ---------------------------------------------------------

    void stateChanged(int state, String ownId, String ownData, long ownCreationTime) {
        SessionListener sessionCalls = sessionListener;
        ReconnectionListener reconnectionCalls = reconnectionListener;
        switch (state) {
            case Core.RC_CONNECTED:
                connection = new Connection(ownId, ownData, ownCreationTime, null);
                if (sessionCalls != null) {
                    dispatcher.dispatch(() -> sessionCalls.onConnected(this));
                }
                break;
            case Core.RC_RECONNECTING:
                if (reconnectionCalls != null) {
                    dispatcher.dispatch(() -> reconnectionCalls.onReconnecting(this));
                }
                break;
            case Core.RC_RECONNECTED:
                // A new connection when the server had forgotten the old one.
                connection = new Connection(ownId, ownData, ownCreationTime, null);
                if (reconnectionCalls != null) {
                    dispatcher.dispatch(() -> reconnectionCalls.onReconnected(this));
                }
                break;
            case Core.RC_DISCONNECTED:
                connection = null;
                roster.clear();
                if (sessionCalls != null) {
                    dispatcher.dispatch(() -> sessionCalls.onDisconnected(this));
                }
                break;
            default:
                throw new IllegalArgumentException("unknown session state " + state);
        }
    }

    void connectionCreated(long key, long creationTime, String id, String data) {
        Connection created = new Connection(id, data, creationTime, null);
        roster.add(key, created);
        ConnectionListener listener = connectionListener;
        if (listener != null) {
            dispatcher.dispatch(() -> listener.onConnectionCreated(this, created));
        }
    }

    void connectionDropped(long key, int reason, long droppedHandle) {
        Connection known = roster.remove(key, droppedHandle);
        if (known == null) {
            return; // libotc never drops what it did not create; nothing to tell
        }
        Connection destroyed = known.dropped(DropReason.fromNative(reason));
        ConnectionListener listener = connectionListener;
        if (listener != null) {
            dispatcher.dispatch(() -> listener.onConnectionDestroyed(this, destroyed));
        }
    }

    void error(int code, String message) {
        SessionListener listener = sessionListener;
        if (listener != null) {
            RollcallException error = new RollcallException(code, message);
            dispatcher.dispatch(() -> listener.onError(this, error));
        }
    }

    private void check(int status, String what) {
        switch (status) {
            case OtcLib.OTC_SUCCESS:
                return;
            case OtcLib.OTC_ERROR_INVALID_HANDLE:
                throw new IllegalStateException("session " + sessionId + " is closed");
            case OtcLib.OTC_ERROR_NOT_INITIALIZED:
                throw new IllegalStateException("the JVM is shutting down");
            case OtcLib.OTC_ERROR_INVALID_PARAM:
                throw new IllegalArgumentException(what + ": " + NativeLibrary.statusString(status));
            default:
                throw new IllegalStateException(what + ": " + NativeLibrary.statusString(status));
        }
    }

    // --- listeners -------------------------------------------------------------------------------

    /** Other clients joining and leaving. Never called for this client's own connection. */
    public interface ConnectionListener {
        /** A client is in the session: once for each one already there on connecting, then as they join. */
        default void onConnectionCreated(Session session, Connection connection) {
        }

        /** A client left; {@link Connection#getDropReason()} tells why. */
        default void onConnectionDestroyed(Session session, Connection connection) {
        }
    }

    public interface SessionListener {
        default void onConnected(Session session) {
        }

        /** The session ended: {@link #disconnect()}, removed by the server, or reconnection gave up. */
        default void onDisconnected(Session session) {
        }

        /**
         * Something failed. Authorization ({@link RollcallException#AUTHORIZATION_FAILURE},
         * {@link RollcallException#INVALID_SESSION}) and protocol errors are final; after others a
         * connected session reconnects by itself. A failed first attempt ends with this alone.
         */
        default void onError(Session session, RollcallException exception) {
        }
    }

    /**
     * The connection to the server broke and the session is reconnecting. Meanwhile the roster
     * stands still; on success the differences arrive as ordinary connection events (no client
     * is reported twice, none is left behind), then {@link #onReconnected}.
     */
    public interface ReconnectionListener {
        default void onReconnecting(Session session) {
        }

        default void onReconnected(Session session) {
        }
    }

    // --- builder -----------------------------------------------------------------------------------

    /** Options of a session; {@link #build()} creates it (not yet connected). */
    public static final class Builder {
        private final String serverUrl;
        private final String apiKey;
        private final String sessionId;
        private int heartbeatIntervalMs;
        private int heartbeatTimeoutMs;
        private int initialBackoffMs = -1;
        private int maxBackoffMs;
        private int giveUpAfterMs;
        private boolean suppressConnectionEvents;
        private Executor executor;
        private ConnectionListener connectionListener;
        private SessionListener sessionListener;
        private ReconnectionListener reconnectionListener;

        /**
         * @param serverUri the server, {@code ws://} or {@code wss://} (or {@code http://},
         *     {@code https://}); without a path, the server's {@code /v1/ws}
         * @param apiKey the app's API key
         * @param sessionId the session to join
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the URI has another scheme or no host, or the API
         *     key or session ID is empty
         */
        public Builder(URI serverUri, String apiKey, String sessionId) {
            this.serverUrl = webSocketUrl(Objects.requireNonNull(serverUri, "serverUri"));
            this.apiKey = notEmpty(apiKey, "apiKey");
            this.sessionId = notEmpty(sessionId, "sessionId");
        }

        /**
         * How often to ping the server, and how long without a frame from it before the
         * connection counts as lost (default 1 s and 2.5 s).
         *
         * @throws IllegalArgumentException unless 0 &lt; interval &lt; timeout
         */
        public Builder heartbeat(Duration interval, Duration timeout) {
            int intervalMs = positiveMillis(interval, "interval");
            int timeoutMs = positiveMillis(timeout, "timeout");
            if (timeoutMs <= intervalMs) {
                throw new IllegalArgumentException("heartbeat timeout must be longer than its interval");
            }
            heartbeatIntervalMs = intervalMs;
            heartbeatTimeoutMs = timeoutMs;
            return this;
        }

        /**
         * Reconnection after a loss: the first attempt at once, then waits from
         * {@code initialBackoff} doubling up to {@code maxBackoff} (jittered); after
         * {@code giveUpAfter} without success, {@link SessionListener#onError} with
         * {@link RollcallException#CONNECTION_FAILED} and {@link SessionListener#onDisconnected}.
         * {@link Duration#ZERO} for {@code giveUpAfter} never gives up. Default 250 ms, 8 s, 30 s.
         *
         * @throws IllegalArgumentException unless 0 &lt; initialBackoff &le; maxBackoff and
         *     giveUpAfter &ge; 0
         */
        public Builder reconnection(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
            int initialMs = positiveMillis(initialBackoff, "initialBackoff");
            int maxMs = positiveMillis(maxBackoff, "maxBackoff");
            int giveUpMs = millis(giveUpAfter, "giveUpAfter");
            if (maxMs < initialMs) {
                throw new IllegalArgumentException("maxBackoff must not be shorter than initialBackoff");
            }
            initialBackoffMs = initialMs;
            maxBackoffMs = maxMs;
            giveUpAfterMs = giveUpMs;
            return this;
        }

        /**
         * OpenTok's connection event suppression: this session gets no connection events and an
         * empty roster; the others still see it come and go. Default false.
         */
        public Builder suppressConnectionEvents(boolean suppress) {
            suppressConnectionEvents = suppress;
            return this;
        }

        /**
         * Runs the session's listeners on this executor, one at a time and in order. Default:
         * none, listeners run on the library thread shared by all sessions.
         *
         * @throws NullPointerException if the executor is null
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public Builder connectionListener(ConnectionListener listener) {
            connectionListener = listener;
            return this;
        }

        public Builder sessionListener(SessionListener listener) {
            sessionListener = listener;
            return this;
        }

        public Builder reconnectionListener(ReconnectionListener listener) {
            reconnectionListener = listener;
            return this;
        }

        /**
         * A new session, not connected yet.
         *
         * @throws IllegalArgumentException if libotc rejects an option (e.g. the server URL)
         * @throws IllegalStateException if the JVM is shutting down
         * @throws UnsatisfiedLinkError if the native libraries cannot be loaded
         */
        public Session build() {
            return new Session(this);
        }

        /** Settings for libotc; the caller deletes them. */
        private OtcLib.otc_session_settings nativeSettings() {
            OtcLib.otc_session_settings settings = OtcLib.otc_session_settings_new();
            if (settings == null || settings.isNull()) {
                throw new OutOfMemoryError("otc_session_settings_new");
            }
            try {
                apply(OtcLib.otc_session_settings_set_server_url(settings, serverUrl), "server URL " + serverUrl);
                apply(OtcLib.otc_session_settings_set_connection_events_suppressed(
                        settings, suppressConnectionEvents ? OtcLib.OTC_TRUE : OtcLib.OTC_FALSE), "suppression");
                if (heartbeatIntervalMs > 0) {
                    apply(OtcLib.otc_session_settings_set_heartbeat(settings, heartbeatIntervalMs, heartbeatTimeoutMs),
                            "heartbeat");
                }
                if (initialBackoffMs > 0) {
                    apply(OtcLib.otc_session_settings_set_reconnection(
                            settings, initialBackoffMs, maxBackoffMs, giveUpAfterMs), "reconnection");
                }
                return settings;
            } catch (RuntimeException e) {
                OtcLib.otc_session_settings_delete(settings);
                throw e;
            }
        }

        private static void apply(int status, String what) {
            if (status != OtcLib.OTC_SUCCESS) {
                throw new IllegalArgumentException("libotc rejects the " + what + ": "
                        + NativeLibrary.statusString(status));
            }
        }

        static String webSocketUrl(URI uri) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            String webSocketScheme;
            switch (scheme) {
                case "ws":
                case "http":
                    webSocketScheme = "ws";
                    break;
                case "wss":
                case "https":
                    webSocketScheme = "wss";
                    break;
                default:
                    throw new IllegalArgumentException("server URI must be ws://, wss://, http:// or https://: " + uri);
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("server URI has no host: " + uri);
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/")
                    ? DEFAULT_PATH : uri.getRawPath();
            return webSocketScheme + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + path;
        }

        private static String notEmpty(String value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isEmpty()) {
                throw new IllegalArgumentException(name + " must not be empty");
            }
            return value;
        }

        private static int positiveMillis(Duration duration, String name) {
            int ms = millis(duration, name);
            if (ms == 0) {
                throw new IllegalArgumentException(name + " must be at least 1 ms");
            }
            return ms;
        }

        private static int millis(Duration duration, String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative() || duration.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " out of range: " + duration);
            }
            return (int) duration.toMillis();
        }
    }
}
