package org.rollcall.binding.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP presets for libotc. {@code javacpp:parse} reads the headers listed in
 * {@code include} and generates the raw binding {@code org.rollcall.binding.OtcLib}.
 * Only the listed headers are parsed: add a header here when Java needs it. Not
 * {@code otc/testing.h}: its hooks live in libotc-testing.so.0, which only the test-jar
 * carries (org.rollcall.TestNatives).
 *
 * <p>The jar bundles libotc.so.0 and the Debian libraries it needs that a plain
 * JVM host may lack ({@code preload}); system libraries (libssl, libcrypto,
 * libcap, libz, libc) are expected on the host.
 *
 * <p>{@code MODIFIED_UTF8_STRING} only concerns the generated {@code String} overloads, which the
 * binding does not use for text that matters: it passes keys, session IDs, tokens and URLs as
 * NUL-terminated UTF-8 ({@code BytePointer}, org.rollcall.Utf8), and events reach Java as UTF-8
 * bytes through the hand-written JNI core (rollcall_core.h).
 */
@Properties(
    target = "org.rollcall.binding.OtcLib",
    value = @Platform(
        value = "linux-x86_64",
        library = "jniotc",
        include = {"otc/base.h", "otc/connection.h", "otc/session.h"},
        define = "MODIFIED_UTF8_STRING",
        link = "otc@.0",
        preload = {"uv@.1", "wslay@.1"}))
public class otc implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        infoMap.put(new Info("OTC_API").cppTypes().annotations());
    }
}
