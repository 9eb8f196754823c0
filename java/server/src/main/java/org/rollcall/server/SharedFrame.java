package org.rollcall.server;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A batch's events frame, encoded once by its {@link Session} and shared by every member it goes to.
 * The node's outbound budget counts its bytes once while any socket's backlog holds it, because that
 * is the memory it takes. Counted once per waiting member, a storm's frames behind 5000 members
 * spent the 512 MB budget on memory never held: the node dropped members that were only behind
 * (1503), and they rejoined with full rosters. Its buffer has a reference per delivery task and per
 * backlog entry. Backlogs on any event loop count it, so the count is atomic.
 */
final class SharedFrame {
    final ByteBuf frame;
    private final int bytes;
    private final AtomicInteger backlogs = new AtomicInteger();

    SharedFrame(ByteBuf frame) {
        this.frame = frame;
        this.bytes = frame.readableBytes();
    }

    /** A socket's backlog takes the frame: a reference of its own, and the budget's charge if it is the first. */
    void enterBacklog(OutboundBudget budget) {
        frame.retain();
        if (backlogs.getAndIncrement() == 0) {
            budget.add(bytes);
        }
    }

    /** A backlog let go of the frame; its reference is the caller's to write or release. */
    void leaveBacklog(OutboundBudget budget) {
        if (backlogs.decrementAndGet() == 0) {
            budget.add(-bytes);
        }
    }
}
