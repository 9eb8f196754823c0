package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Batching on a real (in-memory) Netty channel whose event loop the test runs by hand. */
class OutboxTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final Metrics metrics = new Metrics();
    private final AtomicInteger overflows = new AtomicInteger();

    private Outbox outbox(long maxBacklogBytes) {
        ServerConfig config = ServerConfig.builder().maxBacklogBytes(maxBacklogBytes).build();
        Outbox outbox = new Outbox(channel, config, metrics, overflows::incrementAndGet);
        Member member = new Member(new SessionKey("app", "room"), ConnectionInfo.of("me", "", 1), false);
        outbox.bind(member, false, "token");
        return outbox;
    }

    private static byte[] event(long seq) {
        return Json.connectionCreated(seq, ConnectionInfo.of("c" + seq, "", 1));
    }

    private JsonNode nextFrame() throws Exception {
        TextWebSocketFrame frame = channel.readOutbound();
        if (frame == null) {
            return null;
        }
        try {
            return JSON.readTree(frame.text());
        } finally {
            frame.release();
        }
    }

    @Test
    void eventsQueuedBeforeTheFlushShareOneFrameInOrder() throws Exception {
        Outbox outbox = outbox(1 << 20);
        outbox.snapshot(9, List.of());
        for (long seq = 10; seq < 110; seq++) {
            outbox.event(event(seq));
        }
        channel.runPendingTasks();

        assertEquals("connected", nextFrame().path("type").asText());
        JsonNode batch = nextFrame();
        assertEquals(100, batch.path("events").size());
        for (int i = 0; i < 100; i++) {
            assertEquals(10 + i, batch.path("events").get(i).path("seq").asLong());
        }
        assertNull(nextFrame());
        assertEquals(1, metrics.framesSent());
        assertEquals(100, metrics.eventsSent());
    }

    @Test
    void aLoneEventGoesAtOnceInItsOwnFrame() throws Exception {
        Outbox outbox = outbox(1 << 20);
        outbox.event(event(1));
        channel.runPendingTasks();
        assertEquals(1, nextFrame().path("events").size());
        outbox.event(event(2));
        channel.runPendingTasks();
        assertEquals(2, nextFrame().path("events").get(0).path("seq").asLong());
    }

    @Test
    void aFrameHoldsAtMostTenThousandEvents() throws Exception {
        Outbox outbox = outbox(1L << 30);
        for (long seq = 0; seq < Outbox.MAX_FRAME_EVENTS + 5; seq++) {
            outbox.event(event(seq));
        }
        channel.runPendingTasks();
        assertEquals(Outbox.MAX_FRAME_EVENTS, nextFrame().path("events").size());
        assertNull(nextFrame(), "a megabyte frame made the channel unwritable: the rest waits");
        outbox.flush(); // as on channelWritabilityChanged
        assertEquals(5, nextFrame().path("events").size());
    }

    @Test
    void backlogOverTheLimitDropsTheQueueAndReportsOnce() throws Exception {
        Outbox outbox = outbox(10_000);
        for (long seq = 0; seq < 200; seq++) {
            outbox.event(event(seq));
        }
        channel.runPendingTasks();
        assertEquals(1, overflows.get());
        assertNull(nextFrame());
        assertTrue(outbox.backlogBytes() == 0);
    }
}
