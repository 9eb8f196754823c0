package org.rollcall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Decodes one batch of the JNI core's records (the layout is in rollcall_core.h) and hands each
 * event to its session's {@link EventRouter}, in order. Strings are decoded with the standard
 * UTF-8 decoder (malformed, overlong and surrogate sequences become U+FFFD); connection data that
 * repeats is interned (one String for equal bytes), since many clients often share it.
 *
 * <p>One decoder per thread that receives batches (libotc's library thread, and a test thread);
 * it keeps scratch space between batches. {@link #decode} returns how many bytes it took: whole
 * records. It stops before a record that could not be taken for lack of memory, which the core
 * then keeps and offers again; any other failure is a bug, logged, and the record is taken.
 */
final class BatchDecoder implements Supplier<String> {
    static final int CANCELLED = 0;
    static final int STATE = 1;
    static final int CREATED = 2;
    static final int DROPPED = 3;
    static final int ERROR = 4;
    static final int HEADER = 56;
    private static final int INTERNED = 256; // a power of two
    private static final int MAX_INTERNED_LENGTH = 1024;

    private ByteBuffer buffer;
    private ByteBuffer source; // the buffer as the core gave it, to notice a new one
    private byte[] scratch = new byte[256];
    private final byte[][] internedBytes = new byte[INTERNED][];
    private final String[] internedStrings = new String[INTERNED];

    /** The dropped record being decoded, for {@link #get()}. */
    private int droppedIdAt;
    private int droppedIdLength;

    /** Only within one batch: the last session looked up. */
    private long lastHandle;
    private EventRouter lastRouter;

    /** @return the bytes taken from the start of the buffer */
    int decode(ByteBuffer records, int length) {
        if (records != source) {
            buffer = records.duplicate().order(ByteOrder.nativeOrder()); // the core writes native order
            source = records;
        }
        int at = 0;
        try {
            while (at < length) {
                int next = at + align8(HEADER + Math.max(buffer.getInt(at + 32), 0)
                        + Math.max(buffer.getInt(at + 36), 0));
                try {
                    if (!deliver(at)) {
                        return at;
                    }
                } catch (Throwable t) {
                    if (!NativeUpcalls.failed(t)) {
                        return at;
                    }
                }
                at = next;
            }
            return at;
        } finally {
            lastRouter = null; // a closed session must stay collectable between batches
        }
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    /** {@code false}: not taken (out of memory); the router changed nothing. */
    private boolean deliver(int at) {
        int kind = buffer.getInt(at);
        if (kind == CANCELLED) {
            return true;
        }
        EventRouter router = router(buffer.getLong(at + 8));
        if (router == null) {
            return true; // the session is closed or collected
        }
        int code = buffer.getInt(at + 4);
        int length1 = buffer.getInt(at + 32);
        int length2 = buffer.getInt(at + 36);
        int strings = at + HEADER;
        switch (kind) {
            case CREATED:
                return router.connectionCreated(buffer.getLong(at + 16), buffer.getLong(at + 24),
                        string(strings, length1), interned(strings + length1, length2),
                        buffer.getLong(at + 40), buffer.getLong(at + 48));
            case DROPPED:
                droppedIdAt = strings;
                droppedIdLength = length1;
                return router.connectionDropped(buffer.getLong(at + 16), code, this,
                        buffer.getLong(at + 40), buffer.getLong(at + 48));
            case STATE:
                return router.stateChanged(code, string(strings, length1),
                        string(strings + Math.max(length1, 0), length2), buffer.getLong(at + 24));
            case ERROR:
                return router.error(code, string(strings, length1));
            default:
                throw new IllegalStateException("unknown record kind " + kind);
        }
    }

    private EventRouter router(long handle) {
        if (handle != lastHandle || lastRouter == null) {
            Session session = NativeLibrary.session(handle);
            lastRouter = session == null ? null : session.router();
            lastHandle = handle;
        }
        return lastRouter;
    }

    /** The ID of the dropped record being decoded (asked only when two IDs share a key). */
    @Override
    public String get() {
        return string(droppedIdAt, droppedIdLength);
    }

    private byte[] copy(int at, int length) {
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, 2 * scratch.length)];
        }
        buffer.get(at, scratch, 0, length);
        return scratch;
    }

    /** {@code length} -1: a NULL string. */
    private String string(int at, int length) {
        if (length <= 0) {
            return length == 0 ? "" : null;
        }
        return new String(copy(at, length), 0, length, StandardCharsets.UTF_8);
    }

    /** As {@link #string}, returning the same String as before for the same bytes when it can. */
    private String interned(int at, int length) {
        if (length <= 0 || length > MAX_INTERNED_LENGTH) {
            return string(at, length);
        }
        byte[] bytes = copy(at, length);
        int slot = slot(bytes, length);
        byte[] known = internedBytes[slot];
        if (known != null && Arrays.equals(known, 0, known.length, bytes, 0, length)) {
            return internedStrings[slot];
        }
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(bytes, length);
        // Both made before either is stored: an OutOfMemoryError leaves the slot consistent.
        internedStrings[slot] = text;
        internedBytes[slot] = key;
        return text;
    }

    /** A slot from the length and at most 16 of the bytes (cheaper than hashing them all). */
    private static int slot(byte[] bytes, int length) {
        int hash = length;
        int step = Math.max(1, length / 16);
        for (int i = 0; i < length; i += step) {
            hash = 31 * hash + bytes[i];
        }
        hash ^= hash >>> 16;
        return hash & (INTERNED - 1);
    }
}
