package org.rollcall.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/** What the server should list once a scenario settles, by session. */
final class Expectation {
    private final Map<String, Integer> members = new LinkedHashMap<>();
    private final Map<String, Integer> untracked = new LinkedHashMap<>();
    private final Map<String, String> dropReasons = new LinkedHashMap<>();
    private final Map<String, EventOrder.DropRule> dropRules = new LinkedHashMap<>();
    private boolean endedAllowed;

    /** Every drop in the session must carry this reason; without one, no drop is expected at all. */
    synchronized Expectation dropReason(String sessionId, String reason) {
        dropReasons.put(sessionId, reason);
        return this;
    }

    synchronized String dropReason(String sessionId) {
        return dropReasons.get(sessionId);
    }

    /** Each drop in the session judged by {@code rule} (chaos: by what was done to its connection). */
    synchronized Expectation dropRule(String sessionId, EventOrder.DropRule rule) {
        dropRules.put(sessionId, rule);
        return this;
    }

    /** The rule for the session's drops: the one given, else {@link #dropReason(String)} for all. */
    synchronized EventOrder.DropRule dropRule(String sessionId) {
        EventOrder.DropRule rule = dropRules.get(sessionId);
        return rule != null ? rule : EventOrder.DropRule.only(dropReasons.get(sessionId));
    }

    /** {@code delta} more (or fewer) members of the session. */
    synchronized Expectation members(String sessionId, int delta) {
        members.merge(sessionId, delta, Integer::sum);
        return this;
    }

    /** Members whose connection IDs the harness cannot see (otc-watch processes). */
    synchronized Expectation untracked(String sessionId, int delta) {
        untracked.merge(sessionId, delta, Integer::sum);
        return members(sessionId, delta);
    }

    /** Clients that ended without being asked are no violation (their processes were killed). */
    synchronized Expectation allowEnded() {
        endedAllowed = true;
        return this;
    }

    synchronized Map<String, Integer> members() {
        return Map.copyOf(members);
    }

    synchronized int members(String sessionId) {
        return members.getOrDefault(sessionId, 0);
    }

    synchronized int untracked(String sessionId) {
        return untracked.getOrDefault(sessionId, 0);
    }

    synchronized boolean endedAllowed() {
        return endedAllowed;
    }
}
