package org.rollcall.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FunctionPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * The binding's C core ({@code src/main/native/rollcall_core.h}), compiled into
 * libjniotc next to the raw {@link OtcLib}. Written by hand, not parsed: it
 * decides how events cross into Java (one callback per kind of event, primitive
 * arguments). Internal to the binding; applications use {@code org.rollcall.Session}.
 *
 * <p>JavaCPP keeps callback objects only weakly and gives a C pointer to no more
 * than ten live instances per class, so each class below has exactly one
 * instance, held in a static field for the life of the JVM.
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

    /** Session state changes: {@code RC_CONNECTED} ... {@code RC_DISCONNECTED}. */
    public static class StateCallback extends FunctionPointer {
        static {
            Loader.load();
        }

        protected StateCallback() {
            allocate();
        }

        private native void allocate();

        public native void call(@Cast("int64_t") long handle, int state,
                @Cast("const char*") String ownId, @Cast("const char*") String ownData,
                @Cast("int64_t") long ownCreationTime);
    }

    public static class CreatedCallback extends FunctionPointer {
        static {
            Loader.load();
        }

        protected CreatedCallback() {
            allocate();
        }

        private native void allocate();

        public native void call(@Cast("int64_t") long handle, @Cast("int64_t") long key,
                @Cast("int64_t") long creationTime, @Cast("const char*") String id,
                @Cast("const char*") String data);
    }

    /** {@code connection} is an address for {@link #rc_connection_id}, during the call only. */
    public static class DroppedCallback extends FunctionPointer {
        static {
            Loader.load();
        }

        protected DroppedCallback() {
            allocate();
        }

        private native void allocate();

        public native void call(@Cast("int64_t") long handle, @Cast("int64_t") long key, int reason,
                @Cast("int64_t") long connection);
    }

    public static class ErrorCallback extends FunctionPointer {
        static {
            Loader.load();
        }

        protected ErrorCallback() {
            allocate();
        }

        private native void allocate();

        public native void call(@Cast("int64_t") long handle, int code, @Cast("const char*") String message);
    }

    public static class LogCallback extends FunctionPointer {
        static {
            Loader.load();
        }

        protected LogCallback() {
            allocate();
        }

        private native void allocate();

        public native void call(int level, @Cast("const char*") String message);
    }

    /** Before {@code otc_init}. The callbacks must stay reachable as long as libotc runs. */
    public static native void rc_set_callbacks(StateCallback state, CreatedCallback created,
            DroppedCallback dropped, ErrorCallback error);

    public static native void rc_set_log(LogCallback log, int level);

    public static native @Cast("const char*") String rc_connection_id(@Cast("int64_t") long connection);

    public static native OtcLib.otc_session rc_session_new(@Cast("int64_t") long handle, String apiKey,
            String sessionId, OtcLib.otc_session_settings settings);

    /** For tests: the C core's conversion of raw bytes to modified UTF-8, into {@code out}. */
    public static native int rc_test_jni_string(@Cast("const char*") BytePointer text,
            @Cast("char*") BytePointer out, int size);

    public static native OtcLib.otc_session rc_bench_session_new(String apiKey, String sessionId);

    public static native @Cast("int64_t") long rc_bench_event_count();
}
