package org.rollcall;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;
import org.bytedeco.javacpp.Loader;
import org.rollcall.binding.Core;
import org.rollcall.binding.OtcLib;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libotc for the whole JVM: loads it, starts its library thread once, and routes the C core's
 * callbacks to sessions by handle number.
 *
 * <p>Each callback class has exactly one instance, kept in a static field: JavaCPP holds callback
 * objects only weakly, and C keeps the pointers for as long as the library lives. Every
 * {@code call} catches everything, because an exception escaping to the native thread would abort
 * the JVM.
 */
final class NativeLibrary {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);
    private static final Logger nativeLog = LoggerFactory.getLogger("org.rollcall.native");
    /** How long JVM shutdown waits for libotc to close its sockets. */
    private static final long SHUTDOWN_WAIT_MS = 2000;

    static final Cleaner CLEANER = Cleaner.create();

    private static final Map<Long, NativeSession> SESSIONS = new ConcurrentHashMap<>();

    private static final Core.StateCallback STATE = new Core.StateCallback() {
        @Override
        public void call(long handle, int state, String ownId, String ownData, long ownCreationTime) {
            try {
                Session session = session(handle);
                if (session != null) {
                    session.stateChanged(state, ownId, ownData, ownCreationTime);
                }
            } catch (Throwable t) {
                unexpected(t);
            }
        }
    };

    private static final Core.CreatedCallback CREATED = new Core.CreatedCallback() {
        @Override
        public void call(long handle, long key, long creationTime, String id, String data) {
            try {
                Session session = session(handle);
                if (session != null) {
                    session.connectionCreated(key, creationTime, id, data);
                }
            } catch (Throwable t) {
                unexpected(t);
            }
        }
    };

    private static final Core.DroppedCallback DROPPED = new Core.DroppedCallback() {
        @Override
        public void call(long handle, long key, int reason, long connection) {
            try {
                Session session = session(handle);
                if (session != null) {
                    session.connectionDropped(key, reason, connection);
                }
            } catch (Throwable t) {
                unexpected(t);
            }
        }
    };

    private static final Core.ErrorCallback ERROR = new Core.ErrorCallback() {
        @Override
        public void call(long handle, int code, String message) {
            try {
                Session session = session(handle);
                if (session != null) {
                    session.error(code, message);
                }
            } catch (Throwable t) {
                unexpected(t);
            }
        }
    };

    private static final Core.LogCallback LOG = new Core.LogCallback() {
        @Override
        public void call(int level, String message) {
            try {
                logNative(level, message);
            } catch (Throwable t) {
                // Nowhere left to report it.
            }
        }
    };

    private static volatile boolean stopped;

    static {
        Loader.load(Core.class);
        Core.rc_set_callbacks(STATE, CREATED, DROPPED, ERROR);
        Core.rc_set_log(LOG, nativeLogLevel());
        int status = OtcLib.otc_init(null);
        if (status != OtcLib.OTC_SUCCESS && status != OtcLib.OTC_ERROR_INVALID_STATE) {
            throw new IllegalStateException("otc_init failed: " + statusString(status));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(NativeLibrary::shutdown, "rollcall-shutdown"));
    }

    private NativeLibrary() {
    }

    /** Loads and starts libotc if this is the first use. */
    static void ensureStarted() {
        // The static initializer does the work.
    }

    static boolean isStopped() {
        return stopped;
    }

    static void register(NativeSession session) {
        SESSIONS.put(session.handle, session);
    }

    static void unregister(long handle) {
        SESSIONS.remove(handle);
    }

    static String statusString(int status) {
        return OtcLib.otc_status_string(status).getString() + " (" + status + ")";
    }

    private static Session session(long handle) {
        NativeSession session = SESSIONS.get(handle);
        return session == null ? null : session.owner();
    }

    private static void unexpected(Throwable t) {
        try {
            log.error("Unexpected failure in a libotc callback; the event is lost", t);
        } catch (Throwable ignored) {
            // Never let anything reach the native thread.
        }
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

    private static void logNative(int level, String message) {
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
