package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One order for all members, across processes, and the right reasons. Each otc-load process
 * reports a session's events as its clients saw them, by the server's per-session seq
 * ({@code seqlog}); within a process every client was already checked against that log. Here the
 * logs of all processes must agree: one event per seq, each connection created once and dropped at
 * most once and after its creation, and every drop with the reason the scenario caused (a clean
 * leave gives {@code clientDisconnected}, a kill {@code networkDisconnected}, an admin removal
 * {@code forceDisconnected}).
 */
final class EventOrder {
    private static final int DETAILED = 5;

    /**
     * One event as a process saw it at {@code (epoch, seq)}; {@code reason} is empty for a
     * creation. Epoch 0: a v1 server's (it sends none).
     */
    record Entry(long epoch, long seq, String kind, String conn, String data, String reason) {
        Entry(long seq, String kind, String conn, String data, String reason) {
            this(0, seq, kind, conn, data, reason);
        }

        boolean dropped() {
            return kind.equals("dropped");
        }

        Position position() {
            return new Position(epoch, seq);
        }

        String describe() {
            return kind + " " + conn + (data.isEmpty() ? "" : " (" + data + ")")
                    + (reason.isEmpty() ? "" : " " + reason) + " at " + (epoch == 0 ? "" : "epoch " + epoch + " ")
                    + "seq " + seq;
        }
    }

    /** Where an event stands in a session's one order: epochs first, then seqs (protocol.md). */
    record Position(long epoch, long seq) implements Comparable<Position> {
        @Override
        public int compareTo(Position other) {
            int byEpoch = Long.compare(epoch, other.epoch);
            return byEpoch != 0 ? byEpoch : Long.compare(seq, other.seq);
        }

        @Override
        public String toString() {
            return epoch == 0 ? "seq " + seq : "(epoch " + epoch + ", seq " + seq + ")";
        }
    }

    /** Judges each drop's reason: null when right, else a violation's kind and detail. */
    interface DropRule {
        /** @return {kind, detail}, or null */
        String[] judge(Entry drop);

        /** Every drop must carry {@code reason}; with null, no drop is expected at all. */
        static DropRule only(String reason) {
            return drop -> {
                if (reason == null) {
                    return new String[] {"unexpected_drop", drop.describe() + ": no one was made to leave"};
                }
                return drop.reason().equals(reason) ? null
                        : new String[] {"wrong_reason", drop.describe() + ", expected " + reason};
            };
        }
    }

    /** A process's {@code seqlog} line; {@code restarted}: its seqs started over (a server restart). */
    record Log(String source, boolean restarted, List<Entry> entries) {
        static Log fromJson(String source, JsonNode line) {
            List<Entry> entries = new ArrayList<>();
            for (JsonNode e : line.path("events")) {
                entries.add(new Entry(e.path(5).asLong(0), e.get(0).asLong(), e.get(1).asText(), e.get(2).asText(),
                        e.get(3).asText(), e.get(4).asText()));
            }
            return new Log(source, line.path("restarted").asBoolean(), entries);
        }
    }

    private EventOrder() {
    }

    /**
     * @param dropReason the reason every drop in this session must carry; null when the scenario
     *                   made no one leave, so any drop is a violation
     */
    static List<Violation> check(String sessionId, List<Log> logs, String dropReason) {
        return checkWith(sessionId, logs, DropRule.only(dropReason));
    }

    /** Like {@link #check(String, List, String)}, each drop judged by {@code rule}. */
    static List<Violation> checkWith(String sessionId, List<Log> logs, DropRule rule) {
        return checkWith(sessionId, logs, rule, entry -> true);
    }

    /**
     * @param judged which drops to judge by {@code rule} (chaos judges each drop once, in the round
     *               that caused it); the order checks see every entry
     */
    static List<Violation> checkWith(String sessionId, List<Log> logs, DropRule rule,
                                     java.util.function.Predicate<Entry> judged) {
        List<Violation> problems = new ArrayList<>();
        String where = "session " + sessionId;
        Map<Position, Entry> bySeq = new TreeMap<>();
        Map<Position, String> seqSource = new HashMap<>();
        for (Log log : logs) {
            if (log.restarted()) {
                continue; // v1 seqs start over after a server restart: the logs no longer line up
            }
            for (Entry entry : log.entries()) {
                Entry first = bySeq.putIfAbsent(entry.position(), entry);
                if (first == null) {
                    seqSource.put(entry.position(), log.source());
                } else if (!first.equals(entry)) {
                    add(problems, where, "seq_mismatch", entry.position() + ": " + log.source() + " saw "
                            + entry.describe() + ", " + seqSource.get(entry.position()) + " saw " + first.describe());
                }
            }
        }
        Map<String, Entry> created = new HashMap<>();
        Map<String, Entry> dropped = new HashMap<>();
        for (Entry entry : bySeq.values()) { // in (epoch, seq) order
            Map<String, Entry> seen = entry.dropped() ? dropped : created;
            Entry before = seen.putIfAbsent(entry.conn(), entry);
            if (before != null) {
                add(problems, where, entry.dropped() ? "duplicate_dropped" : "duplicate_created",
                        entry.describe() + " after " + before.describe());
                continue;
            }
            if (entry.dropped()) {
                String[] problem = judged.test(entry) ? rule.judge(entry) : null;
                if (problem != null) {
                    add(problems, where, problem[0], problem[1]);
                }
            } else if (dropped.containsKey(entry.conn())) {
                // IDs are unique for a server's lifetime: a creation after the drop is out of order.
                add(problems, where, "out_of_order", entry.describe() + " after " + dropped.get(entry.conn()).describe());
            }
        }
        return summarize(problems);
    }

    private static void add(List<Violation> problems, String where, String kind, String detail) {
        problems.add(new Violation(where, kind, detail));
    }

    /** The first few of each kind, then a count: a broken order breaks thousands of seqs at once. */
    private static List<Violation> summarize(List<Violation> problems) {
        Map<String, Integer> counts = new HashMap<>();
        List<Violation> kept = new ArrayList<>();
        for (Violation v : problems) {
            if (counts.merge(v.kind(), 1, Integer::sum) <= DETAILED) {
                kept.add(v);
            }
        }
        counts.forEach((kind, n) -> {
            if (n > DETAILED) {
                kept.add(new Violation(problems.get(0).where(), kind, (n - DETAILED) + " more like these"));
            }
        });
        return kept;
    }
}
