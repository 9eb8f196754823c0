package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.rollcall.binding.Core;

/** The C core's rewrite of libotc's UTF-8 into the modified UTF-8 that JNI reads. */
class ModifiedUtf8Test {
    static {
        NativeLibrary.ensureStarted();
    }

    /** What the core hands to NewStringUTF for these bytes. */
    private static byte[] converted(byte[] utf8) {
        try (BytePointer in = new BytePointer(utf8.length + 1);
                BytePointer out = new BytePointer(4 * utf8.length + 16)) {
            in.put(utf8).put(utf8.length, (byte) 0);
            int length = Core.rc_test_jni_string(in, out, (int) out.capacity());
            byte[] result = new byte[length];
            out.get(result);
            return result;
        }
    }

    /** Decodes modified UTF-8 as the JVM does. */
    private static String decoded(byte[] modifiedUtf8) throws IOException {
        ByteBuffer framed = ByteBuffer.allocate(2 + modifiedUtf8.length).putShort((short) modifiedUtf8.length).put(modifiedUtf8);
        return new DataInputStream(new ByteArrayInputStream(framed.array())).readUTF();
    }

    @Test
    void textUpToUffffIsPassedAsItIs() throws IOException {
        String text = "name=Zoë Łukasz 東京";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(utf8, converted(utf8));
        assertEquals(text, decoded(converted(utf8)));
    }

    @Test
    void charactersBeyondUffffBecomeSurrogatePairs() throws IOException {
        String text = "a🎉b𝄞";
        byte[] result = converted(text.getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0xBC, (byte) 0xED, (byte) 0xBE, (byte) 0x89, 'b'},
                Arrays.copyOf(result, 8));
        assertEquals(text, decoded(result));
    }

    @Test
    void malformedBytesBecomeQuestionMarks() throws IOException {
        byte[] malformed = {'x', (byte) 0xFF, 'y', (byte) 0xC3, (byte) 0xE6, (byte) 0x9D, 'z', (byte) 0xF0, (byte) 0x9F};
        assertEquals("x?y???z??", decoded(converted(malformed))); // one per stray byte
    }
}
