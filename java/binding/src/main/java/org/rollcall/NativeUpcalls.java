package org.rollcall;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The methods that the JNI core (rollcall_core.c) calls: {@link #batch} on libotc's library
 * thread, once per burst of events (one frame, a roster, a reconciliation, or one state event),
 * and {@link #log} from whichever thread libotc logs on.
 *
 * <p>{@link #batch} returns how many bytes of records were taken. What was not taken (memory ran
 * out), or an exception the C core finds pending (it checks and clears it, never letting it reach
 * libotc), is kept by the core and offered again before anything newer, so nothing is lost or
 * reordered. Any other failure is a bug: logged, the event taken (offering it again could block
 * every later event).
 */
final class NativeUpcalls {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);
    private static final ThreadLocal<BatchDecoder> DECODERS = ThreadLocal.withInitial(BatchDecoder::new);

    private NativeUpcalls() {
    }

    /** The records in the first {@code length} bytes of {@code records}; returns the bytes taken. */
    static int batch(ByteBuffer records, int length) {
        return DECODERS.get().decode(records, length);
    }

    /** libotc's log lines; lost when memory runs out (never offered again). */
    static void log(int level, byte[] message) {
        try {
            NativeLibrary.logNative(level, Utf8.decode(message));
        } catch (Throwable t) {
            // Nowhere left to report it.
        }
    }

    /** {@code true}: take the event anyway (a bug, logged); {@code false}: out of memory, offer it again. */
    static boolean failed(Throwable t) {
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
