package org.rollcall.harness;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the chaos scenario did to each connection, and so which reasons its drop may carry
 * (protocol.md): a clean leave {@code clientDisconnected}; a {@code kill -9}, a SIGSTOP longer than
 * timeout plus grace, a server restart {@code networkDisconnected}; an admin removal
 * {@code forceDisconnected}; a cut link either nothing (the client resumed within its grace) or
 * {@code networkDisconnected}. A connection nothing was done to (a SIGSTOP shorter than timeout
 * plus grace counts as nothing) must not be dropped at all. Each drop is judged once, in the round
 * that caused it: an allowance holds for its round only.
 */
final class ChaosLedger implements EventOrder.DropRule {
    private record Allowance(int round, Set<String> reasons, String cause) {
    }

    private final Map<String, Allowance> allowed = new HashMap<>();
    private final Set<String> judged = new HashSet<>();
    private int round;

    synchronized void beginRound(int round) {
        this.round = round;
    }

    /** Connections {@code cause} may drop this round, with one of {@code reasons}. */
    synchronized void allow(Collection<String> connections, String cause, String... reasons) {
        for (String conn : connections) {
            if (conn != null && !conn.isEmpty()) {
                allowed.put(conn, new Allowance(round, Set.of(reasons), cause));
            }
        }
    }

    /** Judges a drop in the merged seq logs, once per connection. */
    @Override
    public synchronized String[] judge(EventOrder.Entry drop) {
        if (!judged.add(drop.conn())) {
            return null; // judged in an earlier round
        }
        return problem(drop.conn(), drop.reason(), drop.describe());
    }

    /** Judges the drops each Java client saw, on its own (also those without a position, from a reconciliation). */
    synchronized List<Violation> judgeJava(List<JavaClients.Drop> drops) {
        List<Violation> problems = new ArrayList<>();
        for (JavaClients.Drop drop : drops) {
            String[] problem = problem(drop.conn(), drop.reason(), "dropped " + drop.conn() + " " + drop.reason());
            if (problem != null) {
                problems.add(new Violation(drop.who(), problem[0], problem[1]));
            }
        }
        return problems;
    }

    private String[] problem(String conn, String reason, String described) {
        Allowance allowance = allowed.get(conn);
        if (allowance == null || allowance.round() != round) {
            return new String[] {"unexpected_drop", described + " in round " + round + ": nothing made it leave"
                    + (allowance == null ? "" : " (" + allowance.cause() + " was in round " + allowance.round() + ")")};
        }
        if (!allowance.reasons().contains(reason)) {
            return new String[] {"wrong_reason", described + " in round " + round + " after " + allowance.cause()
                    + ", expected " + String.join(" or ", allowance.reasons())};
        }
        return null;
    }
}
