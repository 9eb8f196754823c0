package org.rollcall.server;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.RejectedExecutionHandlers;
import java.util.concurrent.Executor;

/**
 * The worker event loops: one per core, each running its tasks for at most
 * {@link #TASK_QUANTUM_MS} before it reads its sockets again. Netty's default quantum is a whole
 * second; in a join storm the session owners and fan-out fill the task queues, and a second
 * without reads is a second in which nobody's pong is read, in any session.
 */
final class WorkerLoops extends MultiThreadIoEventLoopGroup {
    static final long TASK_QUANTUM_MS = 5;

    WorkerLoops(IoHandlerFactory io) {
        super(Runtime.getRuntime().availableProcessors(), (Executor) null, io);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory io, Object... args) {
        return new SingleThreadIoEventLoop(this, executor, io, Integer.MAX_VALUE, RejectedExecutionHandlers.reject(),
                TASK_QUANTUM_MS);
    }
}
