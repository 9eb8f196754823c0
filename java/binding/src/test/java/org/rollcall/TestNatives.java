package org.rollcall;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The test-jar's natives (src/test/native/testing_natives.c, built by CMake into
 * libjniotc_testing.so next to libotc-testing.so.0 under {@code org/rollcall/testing/linux-x86_64}
 * of the test class path). Loading copies both to a temporary directory and loads them after
 * the binding's own libraries, whose libotc.so.0 they link to by soname. Not part of the stable
 * API: tests and benchmarks only.
 */
public final class TestNatives {
    private static final String DIRECTORY = "/org/rollcall/testing/linux-x86_64/";

    static {
        NativeLibrary.ensureLoaded();
        try {
            Path directory = Files.createTempDirectory("rollcall-testing");
            directory.toFile().deleteOnExit();
            for (String name : new String[] {"libotc-testing.so.0", "libjniotc_testing.so"}) {
                Path file = directory.resolve(name);
                try (InputStream in = TestNatives.class.getResourceAsStream(DIRECTORY + name)) {
                    if (in == null) {
                        throw new UnsatisfiedLinkError(DIRECTORY + name + " is not on the class path (the test-jar)");
                    }
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                file.toFile().deleteOnExit();
                System.load(file.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestNatives() {
    }

    /** otc_session_test_inject_connection_events on a native session's address. */
    public static native int injectConnectionEvents(long session, int pairs);

    /** otc_session_test_drop_socket on a native session's address. */
    public static native int dropSocket(long session);

    /** A native session whose connection events only count in C (0 when libotc refused). */
    public static native long benchSessionNew();

    /** otc_session_delete on a native session's address. */
    public static native int sessionDelete(long session);

    /** Connection events counted by bench sessions so far. */
    public static native long benchEventCount();
}
