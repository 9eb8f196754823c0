package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A fan-out's frame goes straight from the batch's shared buffer to each socket (Outbox, epoll
 * without TLS); when the kernel takes only part of it, the rest goes through Netty's buffer. The
 * bytes a member reads must still be every frame, whole and in order.
 */
class FanOutWriteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHURNS = 100;

    /**
     * A member with small socket buffers that first reads nothing while events of about 1 KB each
     * are fanned out (its socket fills, and a frame the kernel refuses goes through Netty's buffer),
     * then reads slowly while more come (its socket is sometimes full, sometimes empty, and now and
     * then takes a frame in part): it gets each event once, in seq order from its {@code connected}
     * frame's seq, and every frame parses.
     */
    @Test
    void aSlowMemberWithSmallSocketBuffersGetsEveryFrameWholeAndInOrder() throws Exception {
        // Heartbeats slow enough that a member behind on reading is not taken for silent.
        ServerConfig config = Fixture.fastConfig().heartbeatIntervalMs(10_000).heartbeatTimeoutMs(60_000)
                .sendBufferBytes(4096).build();
        try (Fixture fixture = new Fixture(config); RawWebSocket member = RawWebSocket.open(fixture.port(), 4096)) {
            String session = Fixture.newSession();
            member.sendText(ProtocolV2Test.connectV2(session, fixture.token(session, "member")));
            JsonNode connected = JSON.readTree(member.readText(10_000));
            assertEquals("connected", connected.path("type").asText(), connected::toString);
            long seq = connected.path("seq").asLong();
            CompletableFuture<List<Long>> reading = null;
            String data = "x".repeat(900);
            for (int i = 0; i < CHURNS; i++) { // each join and each leave a batch of its own, one after another
                if (i == CHURNS / 4) {
                    reading = CompletableFuture.supplyAsync(() -> readSlowlyUntil(member, "the-end"));
                }
                fixture.join(session, data + i).close();
            }
            fixture.join(session, "the-end");

            List<Long> expected = new ArrayList<>();
            for (long s = seq + 1; s <= seq + 2L * CHURNS + 1; s++) {
                expected.add(s);
            }
            assertEquals(expected, reading.get(60, TimeUnit.SECONDS));
        }
    }

    /** The seqs of the events read, a frame every few ms, until the one whose data is {@code marker}. */
    private static List<Long> readSlowlyUntil(RawWebSocket member, String marker) {
        List<Long> seqs = new ArrayList<>();
        try {
            while (true) {
                String text = member.readText(30_000);
                assertNotNull(text, "the member's frames stopped after " + seqs);
                JsonNode frame = JSON.readTree(text); // a torn or misordered frame does not parse
                assertEquals("events", frame.path("type").asText(), text);
                for (JsonNode event : frame.path("events")) {
                    seqs.add(event.path("seq").asLong());
                    if (event.path("connection").path("data").asText().equals(marker)) {
                        return seqs;
                    }
                }
                Thread.sleep(3);
            }
        } catch (Exception e) {
            throw new AssertionError("reading failed after " + seqs, e);
        }
    }
}
