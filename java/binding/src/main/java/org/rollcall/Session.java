package org.rollcall;

import java.lang.ref.Cleaner;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
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
 * <h2>Threads and order</h2>
 * All sessions of the JVM share one native thread, libotc's <em>library thread</em>, which only
 * reads the network and queues events. Listeners run elsewhere: on the binding's delivery threads
 * (a few daemon threads shared by all sessions), or on the session's {@link Builder#executor
 * executor}. A session's listener calls run one at a time, in event order; different sessions run
 * in parallel. A listener that blocks delays only its own session's events; the watchdog logs a
 * WARN when one holds its thread more than 100 ms. {@link Builder#deliverOnLibraryThread()} opts
 * into calls on the library thread itself (cheapest, but a slow listener then stalls every session
 * and the server drops them). A listener that throws is logged (WARN) and the session goes on.
 *
 * <h2>Exactly once, and resync</h2>
 * Each connection is told created once and destroyed once, in order, unless the session falls
 * behind: when more than {@link Builder#eventQueueCapacity} connection events wait for a slow
 * listener (or memory ran out while queuing one), the waiting connection events are dropped and,
 * once the listener has caught up, it is resynchronised: it gets destroyed for each connection it
 * was told about that left, and created for each one in the session it was not told about. See
 * docs/binding.md. {@link #getResyncCount()} and {@link #getDroppedEventCount()} count them.
 *
 * <p>The methods of this class may be called from any thread, including from listeners; the
 * getters return the state as the library thread last saw it, which may be ahead of the event a
 * listener is being told.
 *
 * <h2>Lifetime</h2>
 * Close a session when done with it ({@link #close()}, or try-with-resources). Keep a reference
 * to it while you use it: a session that becomes unreachable is closed by a {@link Cleaner}, with
 * a warning in the log.
 */
public final class Session implements AutoCloseable {
    private static final AtomicLong NEXT_HANDLE = new AtomicLong(1);

    private final String sessionId;
    private final Dispatcher dispatcher;
    private final EventRouter router;
    private final NativeLibrary.NativeSession nativeSession;
    private final Cleaner.Cleanable cleanable;
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile ConnectionListener connectionListener;
    private volatile SessionListener sessionListener;
    private volatile ReconnectionListener reconnectionListener;
    private volatile Connection connection;
    private volatile CompletableFuture<Session> connecting;

    private Session(SessionOptions options) {
        NativeLibrary.ensureStarted();
        sessionId = options.sessionId;
        dispatcher = new Dispatcher(sessionId, options.deliverOnLibraryThread ? null
                : options.executor != null ? options.executor : DeliveryThreads.POOL, options.queueCapacity);
        router = new EventRouter(this, dispatcher);
        connectionListener = options.connectionListener;
        sessionListener = options.sessionListener;
        reconnectionListener = options.reconnectionListener;
        nativeSession = NativeLibrary.createSession(NEXT_HANDLE.getAndIncrement(), options, this);
        cleanable = NativeLibrary.CLEANER.register(this, nativeSession);
    }

    /**
     * Starts connecting with a token; returns at once. Then {@link SessionListener#onConnected}
     * and a {@link ConnectionListener#onConnectionCreated} for each client already in the session
     * follow, or {@link SessionListener#onError} (e.g. {@link ErrorCode#AUTHORIZATION_FAILURE}
     * for a bad token). A session may connect again after it disconnected or its first attempt
     * failed.
     *
     * @throws NullPointerException if the token is null
     * @throws IllegalArgumentException if the token is empty or has a NUL character
     * @throws IllegalStateException if the session is closed, or already connecting or connected
     */
    public void connect(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token must not be empty");
        }
        int status;
        try (BytePointer utf8 = Utf8.cString(token, "token")) {
            status = nativeSession.call(session -> OtcLib.otc_session_connect(session, utf8));
        }
        if (status == OtcLib.OTC_ERROR_INVALID_STATE) {
            throw new IllegalStateException("session " + sessionId + " is already connecting or connected");
        }
        NativeLibrary.check(status, "connect", sessionId);
    }

    /**
     * As {@link #connect(String)}, and a stage that completes with this session when it is
     * connected, or exceptionally with the {@link RollcallException} of the attempt's error (or
     * {@link ErrorCode#CONNECTION_FAILED} when it disconnects first). The stage completes on the
     * thread that runs the session's listeners, just before {@link SessionListener#onConnected}
     * or {@link SessionListener#onError}; the listeners are still called.
     *
     * @throws NullPointerException if the token is null
     * @throws IllegalArgumentException if the token is empty or has a NUL character
     * @throws IllegalStateException if the session is closed, or already connecting or connected
     */
    public CompletionStage<Session> connectAsync(String token) {
        CompletableFuture<Session> attempt = new CompletableFuture<>();
        connecting = attempt;
        try {
            connect(token);
        } catch (RuntimeException e) {
            connecting = null;
            throw e;
        }
        return attempt;
    }

    /**
     * Leaves the session cleanly (the others see {@link DropReason#CLIENT_DISCONNECTED});
     * {@link SessionListener#onDisconnected} follows, and the roster is cleared then (no
     * destroyed events for those still in it). Does nothing when the session is not connecting
     * or connected, or is closed.
     */
    public void disconnect() {
        int status = nativeSession.call(OtcLib::otc_session_disconnect);
        if (status != OtcLib.OTC_ERROR_INVALID_STATE && status != OtcLib.OTC_ERROR_INVALID_HANDLE
                && status != OtcLib.OTC_ERROR_NOT_INITIALIZED) {
            NativeLibrary.check(status, "disconnect", sessionId);
        }
    }

    /**
     * Leaves the session if connected (as {@link #disconnect()}, but without
     * {@link SessionListener#onDisconnected}) and frees the native session. Idempotent. May be
     * called from any thread, and from a listener. Events still queued are dropped. When it
     * returns, no listener of this session runs any more, except the one that called it; a
     * listener running on another thread is waited for.
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

    /** The session ID given to the builder. Any thread. */
    public String getSessionId() {
        return sessionId;
    }

    /** This client's own connection, or {@code null} when the session is not connected. Any thread. */
    public Connection getConnection() {
        return connection;
    }

    /**
     * The other connections in the session now, in order of arrival: a snapshot that does not
     * change. Empty when not connected (the roster is cleared when the session disconnects), and
     * when connection events are suppressed. Any thread.
     */
    public List<Connection> getConnections() {
        return router.snapshot();
    }

    /** How many times this session's listener was resynchronised after falling behind. Any thread. */
    public long getResyncCount() {
        return router.resyncs.get();
    }

    /** How many queued connection events were dropped because the session fell behind. Any thread. */
    public long getDroppedEventCount() {
        return dispatcher.discardedEvents.get();
    }

    /** Replaces the connection listener, for the calls that start from now on; null for none. */
    public void setConnectionListener(ConnectionListener listener) {
        connectionListener = listener;
    }

    /** Replaces the session listener, for the calls that start from now on; null for none. */
    public void setSessionListener(SessionListener listener) {
        sessionListener = listener;
    }

    /** Replaces the reconnection listener, for the calls that start from now on; null for none. */
    public void setReconnectionListener(ReconnectionListener listener) {
        reconnectionListener = listener;
    }

    @Override
    public String toString() {
        return "Session[" + sessionId + (closed.get() ? ", closed" : "")
                + (connection == null ? "" : ", connection=" + connection.getConnectionId()) + "]";
    }

    // --- for the binding ---------------------------------------------------------------------------

    EventRouter router() {
        return router;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    NativeLibrary.NativeSession nativeSession() {
        return nativeSession;
    }

    ConnectionListener connectionListener() {
        return connectionListener;
    }

    SessionListener sessionListener() {
        return sessionListener;
    }

    ReconnectionListener reconnectionListener() {
        return reconnectionListener;
    }

    void ownConnection(Connection own) {
        connection = own;
    }

    /** On the listener's thread: completes {@link #connectAsync}'s stage, if any. */
    void connectAttemptEnded(RollcallException error) {
        CompletableFuture<Session> attempt = connecting;
        if (attempt == null) {
            return;
        }
        connecting = null;
        if (error == null) {
            attempt.complete(this);
        } else {
            attempt.completeExceptionally(error);
        }
    }

    // --- listeners -------------------------------------------------------------------------------

    /**
     * Other clients joining and leaving. Never called for this client's own connection. Called
     * on the session's listener thread, one call at a time, in event order.
     */
    public interface ConnectionListener {
        /** A client is in the session: once for each one already there on connecting, then as they join. */
        default void onConnectionCreated(Session session, Connection connection) {
        }

        /** A client left. Called by the default {@link #onConnectionDestroyed(Session, Connection, DropReason)}. */
        default void onConnectionDestroyed(Session session, Connection connection) {
        }

        /**
         * A client left, and why. The default calls {@link #onConnectionDestroyed(Session, Connection)}.
         * After a resync, a connection whose reason was not recorded is reported as
         * {@link DropReason#NETWORK_DISCONNECTED}.
         */
        default void onConnectionDestroyed(Session session, Connection connection, DropReason reason) {
            onConnectionDestroyed(session, connection);
        }
    }

    /** The session's own state. Called on the session's listener thread, in event order. */
    public interface SessionListener {
        /** Connected; the connections already in the session follow as created events. */
        default void onConnected(Session session) {
        }

        /**
         * The session ended: {@link #disconnect()}, removed by the server, or reconnection gave up.
         * The roster is empty from now on; no destroyed events are sent for those who were in it.
         */
        default void onDisconnected(Session session) {
        }

        /**
         * Something failed. Authorization ({@link ErrorCode#AUTHORIZATION_FAILURE},
         * {@link ErrorCode#INVALID_SESSION}) and protocol errors are final; after others a
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
        /** The connection broke; the session tries again (with backoff). */
        default void onReconnecting(Session session) {
        }

        /** Back in the session; the roster's differences came before this call. */
        default void onReconnected(Session session) {
        }
    }

    /** Options of a session; {@link #build()} creates it (not yet connected). Not thread-safe. */
    public static final class Builder {
        private final SessionOptions options;

        /**
         * @param serverUri the server, {@code ws://} or {@code wss://} (or {@code http://},
         *     {@code https://}); without a path, the server's {@code /v1/ws}
         * @param apiKey the app's API key
         * @param sessionId the session to join
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the URI has another scheme or no host, or the API
         *     key or session ID is empty or not valid text (NUL, unpaired surrogate)
         */
        public Builder(URI serverUri, String apiKey, String sessionId) {
            options = new SessionOptions(serverUri, apiKey, sessionId);
        }

        /**
         * How often to ping the server, and how long without a frame from it before the
         * connection counts as lost (default 1 s and 2.5 s).
         *
         * @throws IllegalArgumentException unless 0 &lt; interval &lt; timeout
         */
        public Builder heartbeat(Duration interval, Duration timeout) {
            options.heartbeat(interval, timeout);
            return this;
        }

        /**
         * Reconnection after a loss: the first attempt at once, then waits from
         * {@code initialBackoff} doubling up to {@code maxBackoff} (jittered); after
         * {@code giveUpAfter} without success, {@link SessionListener#onError} with
         * {@link ErrorCode#CONNECTION_FAILED} and {@link SessionListener#onDisconnected}.
         * {@link Duration#ZERO} for {@code giveUpAfter} never gives up. Default 250 ms, 8 s, 30 s.
         *
         * @throws IllegalArgumentException unless 0 &lt; initialBackoff &le; maxBackoff and
         *     giveUpAfter &ge; 0
         */
        public Builder reconnection(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
            options.reconnection(initialBackoff, maxBackoff, giveUpAfter);
            return this;
        }

        /**
         * OpenTok's {@code connectionEventsSuppressed}: this session gets no connection events and
         * an empty roster; the others still see it come and go. Default false.
         */
        public Builder connectionEventsSuppressed(boolean suppressed) {
            options.connectionEventsSuppressed = suppressed;
            return this;
        }

        /** @deprecated use {@link #connectionEventsSuppressed(boolean)} */
        @Deprecated
        public Builder suppressConnectionEvents(boolean suppress) {
            return connectionEventsSuppressed(suppress);
        }

        /**
         * Runs the session's listeners on this executor, one at a time and in order, instead of
         * the binding's delivery threads. It must not run tasks on the calling thread. If it
         * rejects a task (e.g. after shutdown), the session logs one WARN and uses the binding's
         * delivery threads from then on: no event is lost to it.
         *
         * @throws NullPointerException if the executor is null
         */
        public Builder executor(Executor executor) {
            options.executor = Objects.requireNonNull(executor, "executor");
            options.deliverOnLibraryThread = false;
            return this;
        }

        /**
         * Opt-in: runs the session's listeners directly on libotc's library thread, without a
         * queue. Cheapest, but a listener that blocks then stalls every session of the JVM, and
         * past the heartbeat timeout the server drops them all. Replaces an executor.
         */
        public Builder deliverOnLibraryThread() {
            options.deliverOnLibraryThread = true;
            options.executor = null;
            return this;
        }

        /**
         * How many connection events may wait for the listener before the session falls behind
         * and resyncs (see {@link Session}). Default 16384.
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder eventQueueCapacity(int capacity) {
            options.queueCapacity(capacity);
            return this;
        }

        /** Listener for other clients joining and leaving; null for none. */
        public Builder connectionListener(ConnectionListener listener) {
            options.connectionListener = listener;
            return this;
        }

        /** Listener for this session's state; null for none. */
        public Builder sessionListener(SessionListener listener) {
            options.sessionListener = listener;
            return this;
        }

        /** Listener for reconnection; null for none. */
        public Builder reconnectionListener(ReconnectionListener listener) {
            options.reconnectionListener = listener;
            return this;
        }

        /**
         * A new session, not connected yet. A build that throws leaves nothing behind.
         *
         * @throws IllegalArgumentException if libotc rejects an option (e.g. the server URL)
         * @throws IllegalStateException if the JVM is shutting down
         * @throws UnsatisfiedLinkError if the native libraries cannot be loaded (every time)
         */
        public Session build() {
            return new Session(options);
        }
    }
}
