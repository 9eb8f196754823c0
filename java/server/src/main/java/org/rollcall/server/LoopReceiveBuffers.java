package org.rollcall.server;

import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;

/**
 * Fixed-size receive buffers whose sizing handle is shared by every socket of an event loop. A
 * handle only counts the reads of one read turn: epoll and NIO reset it when a socket's turn
 * starts and are done with it when the turn ends, all on the socket's own loop, and a loop reads
 * one socket at a time. So one handle per loop does the work of one per socket (72 B of heap each,
 * the handle and its supplier, for 18,000 idle sockets 1.3 MB); a socket never moves to another
 * loop. Not for io_uring, whose reads complete later, interleaved with other sockets' reads.
 */
final class LoopReceiveBuffers extends FixedRecvByteBufAllocator {
    private final FastThreadLocal<Handle> loopHandle = new FastThreadLocal<>() {
        @Override
        protected Handle initialValue() {
            return LoopReceiveBuffers.super.newHandle();
        }
    };

    LoopReceiveBuffers(int bufferSize) {
        super(bufferSize);
    }

    @Override
    public Handle newHandle() {
        // Netty asks on the socket's loop, at its first read. Anywhere else (nothing in Netty's epoll
        // or NIO does), a handle of its own: sharing is safe only among the sockets of one loop.
        return ThreadExecutorMap.currentExecutor() instanceof EventLoop ? loopHandle.get() : super.newHandle();
    }
}
