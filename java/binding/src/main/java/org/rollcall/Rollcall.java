package org.rollcall;

import org.rollcall.binding.OtcLib;

/** Entry point of the Rollcall Java API. */
public final class Rollcall {
    private Rollcall() {
    }

    /**
     * The version of the native libotc that this binding runs on.
     *
     * @return the version as "MAJOR.MINOR.PATCH"
     * @throws UnsatisfiedLinkError if the bundled native libraries cannot be loaded (every time, not
     *     only the first)
     */
    public static String version() {
        loadNative();
        return OtcLib.otc_version().getString();
    }

    /** Prints {@link #version()}. */
    public static void main(String[] args) {
        System.out.println(version());
    }

    private static void loadNative() {
        NativeLibrary.ensureLoaded();
    }
}
