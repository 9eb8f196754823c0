package org.rollcall;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;

/**
 * Strings to and from libotc, which speaks UTF-8 (docs/protocol.md). Java decodes with the
 * standard decoder, so malformed, overlong and surrogate sequences become U+FFFD; it encodes
 * strictly, so a key, session ID or token is real UTF-8 (never JNI's modified UTF-8 or CESU-8).
 */
final class Utf8 {
    private Utf8() {
    }

    /** The UTF-8 text in {@code bytes}, each malformed sequence replaced by U+FFFD. */
    static String decode(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** As {@link #decode(byte[])}, for {@code length} bytes from {@code offset}. */
    static String decode(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /**
     * A NUL-terminated UTF-8 copy of {@code text} in native memory, for a {@code const char*};
     * close it after the call.
     *
     * @throws IllegalArgumentException if the text has a NUL character or an unpaired surrogate
     */
    static BytePointer cString(String text, String what) {
        byte[] bytes = encode(text, what);
        BytePointer pointer = new BytePointer(bytes.length + 1L);
        pointer.put(bytes).put(bytes.length, (byte) 0);
        return pointer;
    }

    static byte[] encode(String text, String what) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a NUL character");
        }
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid Unicode (an unpaired surrogate)", e);
        }
    }
}
