package org.rollcall.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.annotation.Raw;

/**
 * The binding's JNI core ({@code src/main/native/rollcall_core.c}, built by CMake with -Werror
 * into a static library that libjniotc links next to the raw {@link OtcLib}). Written by hand,
 * not parsed: it decides how events cross into Java (one plain JNI upcall per burst to
 * {@code org.rollcall.NativeUpcalls.batch}, records and UTF-8 bytes in a direct buffer, every
 * exception checked and cleared in C). This class is only JavaCPP's glue to its functions.
 * Internal to the binding; applications use {@code org.rollcall.Session}.
 */
@Properties(inherit = org.rollcall.binding.presets.otc.class,
        value = @Platform(library = "jniotc", include = "rollcall_core.h"))
public class Core {
    static {
        Loader.load();
    }

    public static final int RC_CONNECTED = 1;
    public static final int RC_RECONNECTING = 2;
    public static final int RC_RECONNECTED = 3;
    public static final int RC_DISCONNECTED = 4;

    private Core() {
    }

    /**
     * Finds the static methods of {@code org.rollcall.NativeUpcalls} (through this class's loader)
     * and keeps a global reference to that class. Before {@code otc_init}; then
     * {@link #rc_jni_status()} tells whether it worked. (JavaCPP 1.5.14 passes a {@code withEnv}
     * method only the JNIEnv and its class, and cannot return a value from it.)
     */
    @Raw(withEnv = true)
    public static native void rc_jni_init();

    /** 0 once {@link #rc_jni_init} succeeded, else the negative step that failed. */
    public static native int rc_jni_status();

    /** Sends libotc's log lines at {@code level} and more severe to the log upcall. */
    public static native void rc_set_log_level(int level);

    public static native OtcLib.otc_session rc_session_new(@Cast("int64_t") long handle,
            @Cast("const char*") BytePointer apiKey, @Cast("const char*") BytePointer sessionId,
            OtcLib.otc_session_settings settings);

    /** For tests: a created event with raw bytes through the batch path, on the calling thread. */
    public static native void rc_test_post_created(@Cast("int64_t") long handle,
            @Cast("const char*") BytePointer id, @Cast("const char*") BytePointer data);

    /** For tests: records Java did not take yet, kept by the core to offer again. */
    public static native @Cast("int64_t") long rc_pending_events();

    /** For tests: batches Java did not take completely when offered (e.g. out of memory). */
    public static native @Cast("int64_t") long rc_refused_event_count();

    /** For tests: events lost because the C heap ran out too. */
    public static native @Cast("int64_t") long rc_lost_event_count();

    /** For tests: batch upcalls made so far. */
    public static native @Cast("int64_t") long rc_batch_count();

    /** For tests: libotc log lines that reached this class loader's copy of the core. */
    public static native @Cast("int64_t") long rc_log_count();
}
