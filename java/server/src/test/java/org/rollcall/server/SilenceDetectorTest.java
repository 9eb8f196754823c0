package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The silence timeout on a channel whose event loop and clock the test drives. A busy loop shows up
 * as bytes that are read only after the timeout's task ran: that must not count as silence.
 */
class SilenceDetectorTest {
    private static final long TIMEOUT_MS = 100;
    private final List<IdleStateEvent> idleEvents = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel();

    SilenceDetectorTest() {
        channel.freezeTime();
        channel.pipeline().addLast(new SilenceDetector(TIMEOUT_MS), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof IdleStateEvent idle) {
                    idleEvents.add(idle);
                }
            }
        });
    }

    private void advanceMs(long ms) {
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void bytesReadRightAfterTheTimeoutFiredAreNotSilence() {
        advanceMs(TIMEOUT_MS); // the timeout's task runs before the loop has read the peer's pong
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x8a, 0})); // the loop's next I/O round reads it
        advanceMs(SilenceDetector.RECHECK_MS);
        assertTrue(idleEvents.isEmpty(), "a peer whose bytes were waiting was declared silent");
    }

    @Test
    void aSilentPeerIsReportedOnceTheRecheckFindsNothing() {
        advanceMs(TIMEOUT_MS);
        assertTrue(idleEvents.isEmpty(), "reported before the re-check");
        advanceMs(SilenceDetector.RECHECK_MS);
        assertEquals(1, idleEvents.size());
    }
}
