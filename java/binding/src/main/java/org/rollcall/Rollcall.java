package org.rollcall;

import org.bytedeco.javacpp.Loader;
import org.rollcall.binding.OtcLib;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the Rollcall Java API. */
public final class Rollcall {
    private static final Logger log = LoggerFactory.getLogger(Rollcall.class);

    private Rollcall() {
    }

    /**
     * The version of the native libotc that this binding runs on.
     *
     * @return the version as "MAJOR.MINOR.PATCH"
     * @throws UnsatisfiedLinkError if the bundled native libraries cannot be loaded
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
        String path = Loader.load(OtcLib.class);
        log.debug("libotc binding loaded from {}", path);
    }
}
