package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log keeps this node's connection events as their connection and reason, not their bytes: a
 * replay must give back exactly the bytes that went out live, and the byte bound must count them.
 */
class EventLogTest {
    private static final ConnectionInfo ALICE = ConnectionInfo.of("id-alice", "name=alice \"quoted\" \u00e9", 1_700_000_000_000L);
    private static final ConnectionInfo BOB = ConnectionInfo.of("id-bob", "", 1_700_000_000_001L);

    @Test
    void replayGivesBackTheBytesThatWentOutLive() {
        EventLog log = new EventLog(100, 60_000, 1 << 20, 0);
        byte[] created = Json.connectionCreated(0, ALICE);
        byte[] fromRedis = Json.connectionCreated(1, BOB);
        byte[] destroyed = Json.connectionDestroyed(2, ALICE, Reason.FORCE_DISCONNECTED);
        log.append(0, created, ALICE, null, 1000);
        log.append(1, fromRedis, 1000);
        log.append(2, destroyed, ALICE, Reason.FORCE_DISCONNECTED, 1000);
        List<byte[]> replay = log.after(-1);
        assertEquals(3, replay.size());
        assertArrayEquals(created, replay.get(0));
        assertArrayEquals(fromRedis, replay.get(1));
        assertArrayEquals(destroyed, replay.get(2));
        assertArrayEquals(destroyed, log.after(1).get(0));
    }

    @Test
    void theByteBoundCountsTheEncodedEvents() {
        byte[] first = Json.connectionCreated(0, BOB);
        byte[] second = Json.connectionCreated(1, ALICE);
        byte[] third = Json.connectionDestroyed(2, BOB, Reason.CLIENT_DISCONNECTED); // longer than the first
        EventLog log = new EventLog(100, 60_000, second.length + third.length, 0);
        log.append(0, first, BOB, null, 1000);
        log.append(1, second, ALICE, null, 1000);
        assertTrue(log.reachesBack(-1), "both fit");
        log.append(2, third, BOB, Reason.CLIENT_DISCONNECTED, 1000);
        assertFalse(log.reachesBack(-1), "the oldest had to go");
        assertTrue(log.reachesBack(0), "only the oldest");
        assertEquals(2, log.after(0).size());
    }
}
