package org.rollcall.harness;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.rollcall.Connection;
import org.rollcall.EventPosition;

/**
 * The Java clients' part of the one-order check, as otc-load's {@code seqlog} is the C clients':
 * each event a Java client is told comes with its {@link Connection#getEventPosition()}, which
 * must go forwards for that client ({@code out_of_order}) and name the same event for every Java
 * client of the session ({@code seq_mismatch}); the merged log per session then joins the C and JS
 * processes' logs in {@link EventOrder}. Events without a position (a roster, a reconciliation,
 * a resync) are no part of the order and are skipped, as otc-load skips seq -1.
 */
final class JavaSeqLog {
    /** One client's place in its session's order. */
    static final class Reader {
        final String who;
        final String sessionId;
        private EventOrder.Position last = new EventOrder.Position(Long.MIN_VALUE, Long.MIN_VALUE);

        Reader(String who, String sessionId) {
            this.who = who;
            this.sessionId = sessionId;
        }
    }

    private final Map<String, Map<EventOrder.Position, EventOrder.Entry>> sessions = new HashMap<>();

    /**
     * Records what {@code reader} was told.
     *
     * @param kind   {@code created} or {@code dropped}
     * @param reason the drop's wire name; empty for a creation
     * @return what is wrong with it, empty when nothing
     */
    synchronized List<Violation> saw(Reader reader, String kind, Connection connection, String reason) {
        EventPosition at = connection.getEventPosition().orElse(null);
        if (at == null) {
            return List.of();
        }
        List<Violation> problems = new ArrayList<>();
        EventOrder.Entry entry = new EventOrder.Entry(at.epoch(), at.seq(), kind, connection.getConnectionId(),
                connection.getData(), reason);
        if (entry.position().compareTo(reader.last) <= 0) {
            problems.add(new Violation(reader.who, "out_of_order", entry.describe() + " after " + reader.last));
        }
        reader.last = entry.position();
        EventOrder.Entry first = sessions.computeIfAbsent(reader.sessionId, s -> new TreeMap<>())
                .putIfAbsent(entry.position(), entry);
        if (first != null && !first.equals(entry)) {
            problems.add(new Violation(reader.who, "seq_mismatch", entry.describe() + " here, "
                    + first.describe() + " at another Java client"));
        }
        return problems;
    }

    /** The session's events as the Java clients saw them, in (epoch, seq) order. */
    synchronized EventOrder.Log log(String sessionId) {
        return new EventOrder.Log("java clients", false,
                List.copyOf(sessions.getOrDefault(sessionId, Map.of()).values()));
    }

    synchronized void clear() {
        sessions.clear();
    }
}
