package org.rollcall;

/**
 * Where a connection event stands in its session's one order (docs/protocol.md): the server's
 * {@code epoch} names one life of the session (a later life, also after a server restart, has a
 * greater epoch) and {@code seq} counts the events within it. Ordered by epoch, then seq; every
 * member sees the same event at the same position, and positions never go backwards for a
 * session ID. From {@link Connection#getEventPosition()}.
 *
 * @param epoch 0 from a v1 server, which sends none
 * @param seq   0 or more
 */
public record EventPosition(long epoch, long seq) implements Comparable<EventPosition> {
    @Override
    public int compareTo(EventPosition other) {
        int byEpoch = Long.compare(epoch, other.epoch);
        return byEpoch != 0 ? byEpoch : Long.compare(seq, other.seq);
    }
}
