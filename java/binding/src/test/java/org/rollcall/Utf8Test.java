package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.rollcall.binding.Core;

/**
 * Defect 3: strings between libotc and Java are real UTF-8. The old core handed bytes to
 * NewStringUTF (modified UTF-8): an overlong "A" came out as a string that prints A but is not
 * "A", ED A0 80 as a lone surrogate, other malformed bytes as '?'.
 */
class Utf8Test {
    private static final String REPLACEMENT = "\uFFFD";

    /** What the listener gets for these id and data bytes, through the JNI upcall. */
    private static Connection throughJni(byte[] id, byte[] data) throws Exception {
        Recorder recorder = new Recorder();
        try (Session session = recorder.attach(
                new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")).build();
                BytePointer idBytes = cString(id);
                BytePointer dataBytes = cString(data)) {
            Core.rc_test_post_created(session.nativeSession().handle, idBytes, dataBytes);
            return recorder.next(Recorder.Type.CREATED).connection();
        }
    }

    private static BytePointer cString(byte[] bytes) {
        BytePointer pointer = new BytePointer(bytes.length + 1L);
        pointer.put(bytes).put(bytes.length, (byte) 0);
        return pointer;
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    @Test
    void overlongAndSurrogateSequencesBecomeReplacementCharacters() throws Exception {
        Connection connection = throughJni(bytes('i', 'd', 0xE0, 0x81, 0x81), bytes('x', 0xED, 0xA0, 0x80, 'y'));
        assertEquals("id" + REPLACEMENT.repeat(3), connection.getConnectionId());
        assertEquals("x" + REPLACEMENT + "y", connection.getData()); // Java replaces the whole sequence once
    }

    @Test
    void malformedBytesBecomeReplacementCharactersNotQuestionMarks() throws Exception {
        Connection connection = throughJni(bytes('a', 0xFF, 'b'), bytes('c', 0xC3, 'd', 0xF0, 0x9F));
        assertEquals("a" + REPLACEMENT + "b", connection.getConnectionId());
        assertEquals("c" + REPLACEMENT + "d" + REPLACEMENT, connection.getData());
    }

    @Test
    void validTextBeyondTheBasicPlaneArrivesIntact() throws Exception {
        String text = "name=Zoë 東京 🎉𝄞";
        Connection connection = throughJni("id-🎉".getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8));
        assertEquals("id-🎉", connection.getConnectionId());
        assertEquals(text, connection.getData());
    }

    @Test
    void javaStringsGoOutAsRealUtf8AndNulIsRejected() {
        assertArrayEquals(bytes(0xF0, 0x9F, 0x8E, 0x89), Utf8.encode("🎉", "token"));
        assertThrows(IllegalArgumentException.class, () -> Utf8.encode("a\0b", "token"));
        assertThrows(IllegalArgumentException.class, () -> Utf8.encode("\uD83C", "token"));
        try (Session session = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room").build()) {
            assertThrows(IllegalArgumentException.class, () -> session.connect("tok\0en"));
        }
    }
}
