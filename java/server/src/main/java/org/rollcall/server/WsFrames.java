package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Server-to-client WebSocket frames encoded by us, header included (RFC 6455 section 5.2; server
 * frames are never masked), so that a frame shared by many members is encoded once and written to
 * each as a retained duplicate. Every frame the server sends is encoded here (the pipeline has no
 * WebSocket encoder, see {@link ClientFrames}); TLS, below, still encrypts them.
 */
final class WsFrames {
    static final int OPCODE_CONTINUATION = 0x0;
    static final int OPCODE_TEXT = 0x1;
    static final int OPCODE_CLOSE = 0x8;
    private static final int FIN = 0x80;

    /** A ping with no payload: two bytes, shared by every socket and never freed. */
    private static final ByteBuf PING = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeByte(FIN | 0x9).writeByte(0)).asReadOnly();
    /** The text ping of protocol v2 for browsers, which cannot see ping frames. */
    private static final ByteBuf TEXT_PING = Unpooled.unreleasableBuffer(text(Unpooled.buffer(), Json.utf8(Json.PING)))
            .asReadOnly();

    private WsFrames() {
    }

    /** A view of the shared ping frame: costs a small wrapper, no buffer. */
    static ByteBuf ping() {
        return PING.duplicate();
    }

    static ByteBuf textPing() {
        return TEXT_PING.duplicate();
    }

    /** Bytes of the header of a frame with this payload length. */
    static int headerLength(long payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
    }

    /** Writes a header for a frame of {@code payloadLength} bytes. */
    static void writeHeader(ByteBuf out, int opcode, boolean fin, long payloadLength) {
        out.writeByte((fin ? FIN : 0) | opcode);
        if (payloadLength < 126) {
            out.writeByte((int) payloadLength);
        } else if (payloadLength < 65_536) {
            out.writeByte(126).writeShort((int) payloadLength);
        } else {
            out.writeByte(127).writeLong(payloadLength);
        }
    }

    /** One whole text frame holding {@code payload}. */
    static ByteBuf text(ByteBuf out, byte[] payload) {
        writeHeader(out, OPCODE_TEXT, true, payload.length);
        return out.writeBytes(payload);
    }

    static ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
        return text(alloc.directBuffer(headerLength(payload.length) + payload.length), payload);
    }

    static ByteBuf text(ByteBufAllocator alloc, String payload) {
        return text(alloc, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** A close frame with its status code and reason (RFC 6455 section 5.5.1). */
    static ByteBuf close(ByteBufAllocator alloc, int status, String reason) {
        byte[] reasonBytes = reason.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = alloc.directBuffer(headerLength(2 + reasonBytes.length) + 2 + reasonBytes.length);
        writeHeader(out, OPCODE_CLOSE, true, 2 + reasonBytes.length);
        return out.writeShort(status).writeBytes(reasonBytes);
    }
}
