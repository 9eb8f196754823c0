package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Building, loading and surviving: the failures around a session rather than its events. */
@Timeout(180)
class LifecycleTest {
    /** Defect 5: the old build() registered the session before libotc rejected its options. */
    @Test
    void aFailedBuildLeavesNothingRegistered() {
        NativeLibrary.ensureStarted();
        int before = NativeLibrary.registeredSessions();
        Session.Builder rejected = new Session.Builder(URI.create("ws://127.0.0.1:0"), "key", "room");
        for (int i = 0; i < 3; i++) {
            assertThrows(IllegalArgumentException.class, rejected::build);
        }
        assertEquals(before, NativeLibrary.registeredSessions());
    }

    /** Defect 6: the old second use threw NoClassDefFoundError. */
    @Test
    void aLoadFailureIsAnUnsatisfiedLinkErrorEveryTime() throws Exception {
        ForkedJvm.Result result = ForkedJvm.run(LoadProbe.class,
                List.of("-Dorg.bytedeco.javacpp.platform=linux-riscv64", "-Dslf4j.internal.verbosity=ERROR"));
        assertEquals(0, result.exit(), result.output());
        assertTrue(result.output().contains("version: UnsatisfiedLinkError\nversion: UnsatisfiedLinkError\n"
                + "build: UnsatisfiedLinkError\nbuild: UnsatisfiedLinkError\n"), result.output());
    }

    /** Defect 2: the old thunk turned the OutOfMemoryError into a C++ throw and the JVM aborted (134). */
    @Test
    void outOfMemoryDuringEventsLeavesTheJvmAliveAndTheSessionConsistent() throws Exception {
        ForkedJvm.Result result = ForkedJvm.run(OutOfMemoryProbe.class,
                List.of("-Xmx48m", "-Dslf4j.internal.verbosity=ERROR",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
        assertEquals(0, result.exit(), result.output());
        assertTrue(result.output().contains("consistent"), result.output());
        assertFalse(result.output().contains("not consistent"), result.output());
    }

    /** Tries to load the libraries twice each way, in a JVM where they cannot load. */
    static final class LoadProbe {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                try {
                    Rollcall.version();
                    System.out.println("version: loaded");
                } catch (Throwable t) {
                    System.out.println("version: " + t.getClass().getSimpleName());
                }
            }
            for (int i = 0; i < 2; i++) {
                try {
                    new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room").build().close();
                    System.out.println("build: built");
                } catch (Throwable t) {
                    System.out.println("build: " + t.getClass().getSimpleName());
                }
            }
            System.out.flush();
        }
    }
}
