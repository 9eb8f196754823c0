package org.rollcall.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A session's recent events, so that a resume can replay exactly what its client missed, with the
 * true reasons. Keeps at least the last {@code minEvents} events and every event younger than
 * {@code minAgeMs} (a client in grace may have missed that much), but never more than
 * {@code maxBytes} (of their encoding). Owned by the session's event loop; not thread-safe.
 *
 * <p>An event of this node's own sessions is kept as its connection and reason, not as its bytes:
 * the connection's {@link ConnectionInfo} is the member's own, so an idle member's join costs its
 * entry alone (issue 10: heap per idle connection; the bytes were ~160 B a member). A replay
 * encodes them again, byte for byte the same. Events from Redis keep their bytes.
 */
final class EventLog {
    /** {@code json}, or else {@code connection} and {@code reason} (null: created); {@code bytes}: the encoded length. */
    private record Entry(long seq, long timeMs, int bytes, byte[] json, ConnectionInfo connection, Reason reason) {
        byte[] encode() {
            if (json != null) {
                return json;
            }
            return reason == null ? Json.connectionCreated(seq, connection)
                    : Json.connectionDestroyed(seq, connection, reason);
        }
    }

    private final int minEvents;
    private final long minAgeMs;
    private final long maxBytes;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long bytes;
    /** The seq of the last event that was dropped from the log; a replay must start after it. */
    private long droppedThrough;

    EventLog(int minEvents, long minAgeMs, long maxBytes, long startSeq) {
        this.minEvents = minEvents;
        this.minAgeMs = minAgeMs;
        this.maxBytes = maxBytes;
        this.droppedThrough = startSeq - 1;
    }

    /** An event as its bytes (from Redis). */
    void append(long seq, byte[] json, long nowMs) {
        append(new Entry(seq, nowMs, json.length, json, null, null), nowMs);
    }

    /**
     * A connection event encoded as {@code json}, kept as its connection and reason (null: created):
     * {@link Entry#encode} gives the same bytes back.
     */
    void append(long seq, byte[] json, ConnectionInfo connection, Reason reason, long nowMs) {
        append(new Entry(seq, nowMs, json.length, null, connection, reason), nowMs);
    }

    private void append(Entry entry, long nowMs) {
        entries.addLast(entry);
        bytes += entry.bytes();
        while (!entries.isEmpty() && (bytes > maxBytes
                || entries.size() > minEvents && entries.peekFirst().timeMs() < nowMs - minAgeMs)) {
            Entry oldest = entries.removeFirst();
            bytes -= oldest.bytes();
            droppedThrough = oldest.seq();
        }
    }

    /** Whether every event after {@code seq} is still here. */
    boolean reachesBack(long seq) {
        return seq >= droppedThrough;
    }

    /** The events after {@code seq}, in order. Call only when {@link #reachesBack} is true. */
    List<byte[]> after(long seq) {
        List<byte[]> events = new ArrayList<>();
        Iterator<Entry> newestFirst = entries.descendingIterator();
        while (newestFirst.hasNext()) {
            Entry entry = newestFirst.next();
            if (entry.seq() <= seq) {
                break;
            }
            events.add(entry.encode());
        }
        java.util.Collections.reverse(events);
        return events;
    }
}
