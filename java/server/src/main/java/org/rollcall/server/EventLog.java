package org.rollcall.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A session's recent events, so that a resume can replay exactly what its client missed, with the
 * true reasons. Keeps at least the last {@code minEvents} events and every event younger than
 * {@code minAgeMs} (a client in grace may have missed that much), but never more than
 * {@code maxBytes}. Owned by the session's event loop; not thread-safe.
 */
final class EventLog {
    private record Entry(long seq, long timeMs, byte[] json) {
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

    void append(long seq, byte[] json, long nowMs) {
        entries.addLast(new Entry(seq, nowMs, json));
        bytes += json.length;
        while (!entries.isEmpty() && (bytes > maxBytes
                || entries.size() > minEvents && entries.peekFirst().timeMs() < nowMs - minAgeMs)) {
            Entry oldest = entries.removeFirst();
            bytes -= oldest.json().length;
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
            events.add(entry.json());
        }
        java.util.Collections.reverse(events);
        return events;
    }
}
