package org.rollcall.binding.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP presets for libotc. {@code javacpp:parse} reads the headers listed in
 * {@code include} and generates the raw binding {@code org.rollcall.binding.OtcLib}.
 * Only the listed headers are parsed: add a header here when Java needs it.
 *
 * <p>The jar bundles libotc.so.0 and the Debian libraries it needs that a plain
 * JVM host may lack ({@code preload}); system libraries (libssl, libcrypto,
 * libcap, libz, libc) are expected on the host.
 *
 * <p>Strings cross JNI with NewStringUTF/GetStringUTFChars ({@code MODIFIED_UTF8_STRING}):
 * several times cheaper per event than JavaCPP's default byte[] decoding in Java, and
 * independent of the JVM's default charset. JNI's "modified UTF-8" differs from UTF-8 only
 * for characters beyond U+FFFF (and U+0000); the C core rewrites such strings from libotc
 * (rollcall_core.h), and the strings Java passes in (keys, IDs, tokens, URLs) are ASCII.
 */
@Properties(
    target = "org.rollcall.binding.OtcLib",
    value = @Platform(
        value = "linux-x86_64",
        library = "jniotc",
        include = {"otc/base.h", "otc/connection.h", "otc/session.h", "otc/testing.h"},
        define = "MODIFIED_UTF8_STRING",
        link = "otc@.0",
        preload = {"websockets@.17", "cjson@.1"}))
public class otc implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        infoMap.put(new Info("OTC_API").cppTypes().annotations());
    }
}
