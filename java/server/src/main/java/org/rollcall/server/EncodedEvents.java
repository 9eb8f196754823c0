package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;

/**
 * A batch of events encoded once as one {@code events} frame, WebSocket header included. Most
 * members get the whole frame (a retained duplicate). A member that joined or resumed within the
 * batch gets only the events after its position: a new header and the tail of the same bytes (a
 * retained slice), so a storm's joiners cost a few small buffers each, not a copy of the batch.
 */
final class EncodedEvents {
    private static final ByteBuf END = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(Json.EVENTS_END)).asReadOnly();

    private final ByteBuf whole;
    private final SharedFrame shared; // whole, as the members' backlogs count it
    private final int bodyStart;
    private final int bodyLength;
    private final int[] offsets; // where each event starts, from the body's start

    EncodedEvents(ByteBufAllocator alloc, List<byte[]> events) {
        whole = Json.eventsFrame(alloc, events, 0, events.size());
        shared = new SharedFrame(whole);
        offsets = new int[events.size()];
        int body = 0;
        for (int i = 0; i < events.size(); i++) {
            offsets[i] = body;
            body += events.get(i).length + 1; // and the comma before the next one
        }
        bodyLength = body - 1;
        bodyStart = whole.writerIndex() - Json.EVENTS_END.length - bodyLength;
    }

    /** The whole frame, shared: one more reference to the same buffer, for the caller to release. */
    SharedFrame retainedShared() {
        whole.retain();
        return shared;
    }

    /** The frame of events {@code [from, end)} for {@code from > 0}: the caller owns (and its write releases) it. */
    ByteBuf frameFrom(ByteBufAllocator alloc, int from) {
        int length = bodyLength - offsets[from];
        long payload = Json.EVENTS_START.length + length + Json.EVENTS_END.length;
        ByteBuf head = alloc.directBuffer(WsFrames.headerLength(payload) + Json.EVENTS_START.length);
        WsFrames.writeHeader(head, WsFrames.OPCODE_TEXT, true, payload);
        head.writeBytes(Json.EVENTS_START);
        CompositeByteBuf frame = alloc.compositeDirectBuffer(3);
        return frame.addComponents(true, head, whole.retainedSlice(bodyStart + offsets[from], length), END.duplicate());
    }

    /** Drops the batch's own reference; the frames handed out keep the bytes alive. */
    void release() {
        whole.release();
    }
}
