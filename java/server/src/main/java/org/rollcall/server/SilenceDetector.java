package org.rollcall.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * An {@link IdleStateHandler} for reads that does not mistake a busy event loop for a silent peer.
 * When the timeout fires, the peer's bytes may be waiting in the socket because the loop has not
 * got round to reading them. So the idle event is held back for {@link #RECHECK_MS}: the re-check
 * is a scheduled task, and Netty runs scheduled tasks only after its next round of I/O, which reads
 * what is waiting. Only if nothing was read by then is the peer silent.
 */
final class SilenceDetector extends IdleStateHandler {
    static final long RECHECK_MS = 5;

    private long reads;

    SilenceDetector(long timeoutMs) {
        super(timeoutMs, 0, 0, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        reads++;
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
        if (event.state() != IdleState.READER_IDLE) {
            ctx.fireUserEventTriggered(event);
            return;
        }
        long readsAtTimeout = reads;
        ctx.executor().schedule(() -> {
            if (reads == readsAtTimeout && ctx.channel().isActive()) {
                ctx.fireUserEventTriggered(event);
            }
        }, RECHECK_MS, TimeUnit.MILLISECONDS);
    }
}
