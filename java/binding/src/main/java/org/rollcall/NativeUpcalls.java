package org.rollcall;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The methods that the JNI core (rollcall_core.h) calls on libotc's library thread, one per kind
 * of event, with primitives and the raw UTF-8 bytes of strings (decoded here, malformed bytes
 * becoming U+FFFD).
 *
 * <p>Each returns {@code true} when the event was taken. {@code false}, or an exception the C core
 * finds pending (it checks and clears it, never letting it reach libotc), means "not taken": the
 * core keeps the event and offers it again before the next one, so nothing is lost or reordered.
 * That is what happens when memory runs out. Any other failure is a bug: logged, event taken
 * (offering it again could block every later event).
 *
 * <p>A future batch upcall (libotc's batch hook) will decode its records and call the same
 * {@link EventRouter} methods.
 */
final class NativeUpcalls {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);

    private NativeUpcalls() {
    }

    static boolean state(long handle, int state, byte[] ownId, byte[] ownData, long ownCreationTime) {
        try {
            Session session = NativeLibrary.session(handle);
            return session == null
                    || session.router().stateChanged(state, Utf8.decode(ownId), Utf8.decode(ownData), ownCreationTime);
        } catch (Throwable t) {
            return failed(t);
        }
    }

    /** {@code idAndData}: the ID's bytes, then the data's; the ID is {@code idLength} bytes. */
    static boolean created(long handle, long key, long creationTime, byte[] idAndData, int idLength) {
        try {
            Session session = NativeLibrary.session(handle);
            return session == null || session.router().connectionCreated(key, creationTime,
                    Utf8.decode(idAndData, 0, idLength), Utf8.decode(idAndData, idLength, idAndData.length - idLength));
        } catch (Throwable t) {
            return failed(t);
        }
    }

    static boolean dropped(long handle, long key, int reason, long connection) {
        try {
            Session session = NativeLibrary.session(handle);
            return session == null || session.router().connectionDropped(key, reason, connection);
        } catch (Throwable t) {
            return failed(t);
        }
    }

    static boolean error(long handle, int code, byte[] message) {
        try {
            Session session = NativeLibrary.session(handle);
            return session == null || session.router().error(code, Utf8.decode(message));
        } catch (Throwable t) {
            return failed(t);
        }
    }

    /** libotc's log lines; lost when memory runs out (never offered again). */
    static void log(int level, byte[] message) {
        try {
            NativeLibrary.logNative(level, Utf8.decode(message));
        } catch (Throwable t) {
            // Nowhere left to report it.
        }
    }

    private static boolean failed(Throwable t) {
        if (t instanceof OutOfMemoryError) {
            return false; // offered again later, when memory may be back
        }
        try {
            log.error("Unexpected failure in a libotc event; the event is lost", t);
        } catch (Throwable ignored) {
            // Never let anything reach the native thread.
        }
        return true;
    }
}
