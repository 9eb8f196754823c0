package org.rollcall;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.rollcall.binding.Core;
import org.rollcall.binding.OtcLib;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libotc for the whole JVM: loads it, starts its library thread once, and routes the C core's
 * upcalls ({@link NativeUpcalls}) to sessions by handle number.
 *
 * <p>Loading happens on first use, not in a static initializer: a failure is remembered and
 * thrown again as {@link UnsatisfiedLinkError} on every later use (a failed static initializer
 * would turn into NoClassDefFoundError).
 */
final class NativeLibrary {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);
    private static final Logger nativeLog = LoggerFactory.getLogger("org.rollcall.native");
    /** How long JVM shutdown waits for libotc to close its sockets. */
    private static final long SHUTDOWN_WAIT_MS = 2000;

    static final Cleaner CLEANER = Cleaner.create();

    private static final Map<Long, NativeSession> SESSIONS = new ConcurrentHashMap<>();

    private static volatile boolean loaded;
    private static volatile boolean started;
    private static Throwable loadFailure; // guarded by NativeLibrary.class
    private static volatile boolean stopped;

    private NativeLibrary() {
    }

    /**
     * Loads the native libraries (without starting libotc).
     *
     * @throws UnsatisfiedLinkError if they cannot be loaded, this time or an earlier one
     */
    static void ensureLoaded() {
        if (!loaded) {
            load();
        }
    }

    /**
     * Loads libotc and starts its library thread, on first use.
     *
     * @throws UnsatisfiedLinkError if the native libraries cannot be loaded, this time or an earlier one
     */
    static void ensureStarted() {
        if (!started) {
            start();
        }
    }

    private static synchronized void load() {
        if (loaded) {
            return;
        }
        if (loadFailure != null) {
            throw unsatisfied(loadFailure);
        }
        try {
            String path = Loader.load(Core.class);
            log.debug("libjniotc loaded from {}", path);
            loaded = true;
        } catch (Throwable t) {
            loadFailure = t;
            throw unsatisfied(t);
        }
    }

    private static synchronized void start() {
        if (started) {
            return;
        }
        load();
        Core.rc_jni_init();
        int init = Core.rc_jni_status();
        if (init != 0) {
            throw new UnsatisfiedLinkError("the JNI core did not find its upcalls (" + init + ")");
        }
        Core.rc_set_log_level(nativeLogLevel());
        int status = OtcLib.otc_init(null);
        if (status != OtcLib.OTC_SUCCESS && status != OtcLib.OTC_ERROR_INVALID_STATE) {
            throw new IllegalStateException("otc_init failed: " + statusString(status));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(NativeLibrary::shutdown, "rollcall-shutdown"));
        Watchdog.start(NativeLibrary::liveDispatchers);
        started = true;
    }

    private static UnsatisfiedLinkError unsatisfied(Throwable cause) {
        if (cause instanceof UnsatisfiedLinkError) {
            UnsatisfiedLinkError again = new UnsatisfiedLinkError(cause.getMessage());
            again.initCause(cause);
            return again;
        }
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("the Rollcall native libraries cannot be loaded: " + cause);
        error.initCause(cause);
        return error;
    }

    static boolean isStopped() {
        return stopped;
    }

    /**
     * The native session of a new {@link Session}, registered for its events. Registers nothing
     * when it throws.
     */
    static NativeSession createSession(long handle, SessionOptions options, Session owner) {
        NativeSession session = new NativeSession(handle, options.sessionId, owner);
        OtcLib.otc_session_settings settings = options.nativeSettings();
        boolean attached = false;
        try (BytePointer apiKey = Utf8.cString(options.apiKey, "apiKey");
                BytePointer sessionId = Utf8.cString(options.sessionId, "sessionId")) {
            SESSIONS.put(handle, session);
            OtcLib.otc_session created = Core.rc_session_new(handle, apiKey, sessionId, settings);
            if (created == null || created.isNull()) {
                throw new IllegalStateException("libotc could not create the session"
                        + (stopped ? ": the JVM is shutting down" : ""));
            }
            session.attach(created);
            attached = true;
            return session;
        } finally {
            OtcLib.otc_session_settings_delete(settings);
            if (!attached) {
                SESSIONS.remove(handle);
            }
        }
    }

    /** Sessions registered now (for tests). */
    static int registeredSessions() {
        return SESSIONS.size();
    }

    static void unregister(long handle) {
        SESSIONS.remove(handle);
    }

    static String statusString(int status) {
        return OtcLib.otc_status_string(status).getString() + " (" + status + ")";
    }

    /** Turns a libotc status into the exception the public methods document. */
    static void check(int status, String what, String sessionId) {
        switch (status) {
            case OtcLib.OTC_SUCCESS:
                return;
            case OtcLib.OTC_ERROR_INVALID_HANDLE:
                throw new IllegalStateException("session " + sessionId + " is closed");
            case OtcLib.OTC_ERROR_NOT_INITIALIZED:
                throw new IllegalStateException("the JVM is shutting down");
            case OtcLib.OTC_ERROR_INVALID_PARAM:
                throw new IllegalArgumentException(what + ": " + statusString(status));
            default:
                throw new IllegalStateException(what + ": " + statusString(status));
        }
    }

    /** The session with this handle, or {@code null} once it is closed or collected. */
    static Session session(long handle) {
        NativeSession session = SESSIONS.get(handle);
        return session == null ? null : session.owner();
    }

    private static Iterable<Dispatcher> liveDispatchers() {
        List<Dispatcher> live = new ArrayList<>();
        for (NativeSession session : SESSIONS.values()) {
            Session owner = session.owner();
            if (owner != null) {
                live.add(owner.dispatcher());
            }
        }
        return live;
    }

    /** The most detailed libotc level that the {@code org.rollcall.native} logger would show. */
    private static int nativeLogLevel() {
        if (nativeLog.isTraceEnabled()) {
            return OtcLib.OTC_LOG_LEVEL_ALL;
        } else if (nativeLog.isDebugEnabled()) {
            return OtcLib.OTC_LOG_LEVEL_DEBUG;
        } else if (nativeLog.isInfoEnabled()) {
            return OtcLib.OTC_LOG_LEVEL_INFO;
        } else if (nativeLog.isWarnEnabled()) {
            return OtcLib.OTC_LOG_LEVEL_WARN;
        } else if (nativeLog.isErrorEnabled()) {
            return OtcLib.OTC_LOG_LEVEL_ERROR;
        }
        return OtcLib.OTC_LOG_LEVEL_DISABLED;
    }

    static void logNative(int level, String message) {
        switch (level) {
            case OtcLib.OTC_LOG_LEVEL_ERROR:
                nativeLog.error(message);
                break;
            case OtcLib.OTC_LOG_LEVEL_WARN:
                nativeLog.warn(message);
                break;
            case OtcLib.OTC_LOG_LEVEL_INFO:
                nativeLog.info(message);
                break;
            case OtcLib.OTC_LOG_LEVEL_DEBUG:
                nativeLog.debug(message);
                break;
            default:
                nativeLog.trace(message);
                break;
        }
    }

    /**
     * At JVM exit: libotc closes the sockets of sessions still open (peers see them leave cleanly)
     * and its thread stops calling into a JVM that is going away. Bounded, because a listener that
     * itself called System.exit() would keep libotc from stopping.
     */
    private static void shutdown() {
        stopped = true;
        Thread destroy = new Thread(OtcLib::otc_destroy, "rollcall-otc-destroy");
        destroy.setDaemon(true);
        destroy.start();
        try {
            destroy.join(SHUTDOWN_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The native side of one {@link Session}: what must outlive the Session object to clean up
     * after it. Holds the Session only weakly, so that an unclosed Session can become unreachable
     * and be cleaned by {@link #CLEANER} ({@link #run}).
     */
    static final class NativeSession implements Runnable {
        final long handle;
        private final String sessionId;
        private final WeakReference<Session> owner;
        private OtcLib.otc_session pointer; // guarded by this; null once deleted
        private volatile boolean closedByOwner;

        NativeSession(long handle, String sessionId, Session owner) {
            this.handle = handle;
            this.sessionId = sessionId;
            this.owner = new WeakReference<>(owner);
        }

        Session owner() {
            return owner.get();
        }

        synchronized void attach(OtcLib.otc_session pointer) {
            this.pointer = pointer;
        }

        /**
         * Runs a libotc function on the native session, which cannot be deleted meanwhile.
         * {@code OTC_ERROR_INVALID_HANDLE} once it is deleted, {@code OTC_ERROR_NOT_INITIALIZED}
         * once libotc has shut down. The functions used never wait for the library thread.
         */
        synchronized int call(ToIntFunction<OtcLib.otc_session> function) {
            if (stopped) {
                return OtcLib.OTC_ERROR_NOT_INITIALIZED;
            }
            return pointer == null ? OtcLib.OTC_ERROR_INVALID_HANDLE : function.applyAsInt(pointer);
        }

        void closeByOwner() {
            closedByOwner = true;
        }

        /** Deletes the native session: from {@link Session#close()}, or by the Cleaner. Once. */
        @Override
        public void run() {
            if (!closedByOwner) {
                log.warn("Session {} was not closed before it became unreachable; closing it", sessionId);
            }
            unregister(handle);
            OtcLib.otc_session deleted;
            synchronized (this) {
                deleted = pointer;
                pointer = null;
            }
            if (deleted != null && !stopped) {
                int status = OtcLib.otc_session_delete(deleted);
                if (status != OtcLib.OTC_SUCCESS) {
                    log.debug("otc_session_delete: {}", statusString(status));
                }
            }
        }
    }
}
