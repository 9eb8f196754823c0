package org.rollcall.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The checker, fed crafted event logs and rosters: it must catch each broken promise it exists
 * for (a duplicate creation, events out of order, a wrong reason, a ghost), and pass the clean ones.
 * The scenario tests ({@link ScenariosTest}) run the same checks on real streams.
 */
class CheckerTest {
    private static final String SESSION = "s";

    private static EventOrder.Entry created(long seq, String conn) {
        return new EventOrder.Entry(seq, "created", conn, "data-" + conn, "");
    }

    private static EventOrder.Entry dropped(long seq, String conn, String reason) {
        return new EventOrder.Entry(seq, "dropped", conn, "data-" + conn, reason);
    }

    private static EventOrder.Log log(String source, EventOrder.Entry... entries) {
        return new EventOrder.Log(source, false, List.of(entries));
    }

    private static List<String> kinds(List<Violation> violations) {
        return violations.stream().map(Violation::kind).toList();
    }

    @Test
    void cleanLogsFromTwoProcessesPass() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), created(2, "y"), dropped(3, "x", "clientDisconnected")),
                log("load-2", created(2, "y"), dropped(3, "x", "clientDisconnected"), created(4, "z"))),
                "clientDisconnected");
        assertEquals(List.of(), violations);
    }

    @Test
    void catchesADuplicateCreation() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), created(2, "y")),
                log("load-2", created(3, "x"))), null);
        assertEquals(List.of("duplicate_created"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("created x"), violations.toString());
    }

    @Test
    void catchesTwoProcessesSeeingEventsInDifferentOrders() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), created(2, "y")),
                log("load-2", created(1, "y"), created(2, "x"))), null);
        assertEquals(List.of("seq_mismatch", "seq_mismatch"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("load-2 saw created y"), violations.toString());
    }

    @Test
    void catchesADropOrderedBeforeItsCreation() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", dropped(1, "x", "clientDisconnected"), created(2, "x"))), "clientDisconnected");
        assertEquals(List.of("out_of_order"), kinds(violations), violations.toString());
    }

    @Test
    void catchesAWrongLeaveReason() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), dropped(2, "x", "networkDisconnected"))), "clientDisconnected");
        assertEquals(List.of("wrong_reason"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("expected clientDisconnected"), violations.toString());
    }

    @Test
    void catchesProcessesDisagreeingOnAReason() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), dropped(2, "x", "networkDisconnected")),
                log("load-2", created(1, "x"), dropped(2, "x", "forceDisconnected"))), "networkDisconnected");
        assertEquals(List.of("seq_mismatch"), kinds(violations), violations.toString());
    }

    @Test
    void catchesADropWhenNoOneWasMadeToLeave() {
        List<Violation> violations = EventOrder.check(SESSION, List.of(
                log("load-1", created(1, "x"), dropped(2, "x", "networkDisconnected"))), null);
        assertEquals(List.of("unexpected_drop"), kinds(violations), violations.toString());
    }

    // --- rosters against the server's list -----------------------------------------------------

    private static RosterLine roster(String own, Set<String> held) {
        return new RosterLine("load-1", 0, "", SESSION, "connected", own, held.size(), RosterHash.of(held), 0,
                List.copyOf(held));
    }

    private static List<Violation> compare(List<String> listing, List<RosterLine> live) {
        Expectation expected = new Expectation().members(SESSION, live.size());
        return Checker.compareSession(SESSION, listing, expected, live, Map.of(), Function.identity());
    }

    @Test
    void rostersEqualToTheListPass() {
        List<Violation> violations = compare(List.of("a", "b", "c"), List.of(
                roster("a", Set.of("b", "c")), roster("b", Set.of("a", "c")), roster("c", Set.of("a", "b"))));
        assertEquals(List.of(), violations);
    }

    @Test
    void catchesAGhostInARosterEvenWhenTheCountIsRight() {
        // a holds the ghost g instead of c: two others either way, so only identity tells.
        List<Violation> violations = compare(List.of("a", "b", "c"), List.of(
                roster("a", Set.of("b", "g")), roster("b", Set.of("a", "c")), roster("c", Set.of("a", "b"))));
        assertEquals(List.of("roster_mismatch"), kinds(violations), violations.toString());
        String detail = violations.get(0).detail();
        assertTrue(detail.contains("ghosts (held, not listed): [g]") && detail.contains("missing (listed, not held): [c]"),
                detail);
    }

    @Test
    void catchesAGhostOnTheServer() {
        // The server lists g, which no live client is.
        List<Violation> violations = compare(List.of("a", "b", "g"), List.of(
                roster("a", Set.of("b", "g")), roster("b", Set.of("a", "g"))));
        assertTrue(kinds(violations).contains("server_unknown_ids"), violations.toString());
        assertTrue(kinds(violations).contains("member_count"), violations.toString());
    }

    @Test
    void catchesAnObserverThatCountsWrong() {
        Expectation expected = new Expectation().members(SESSION, 2);
        List<Violation> violations = Checker.compareSession(SESSION, List.of("a", "b"), expected,
                List.of(roster("a", Set.of("b")), roster("b", Set.of("a"))),
                Map.of("watch-1", new WatchProcess.WatchView(3, null, null)), Function.identity());
        assertEquals(List.of("watch_total"), kinds(violations), violations.toString());
    }

    @Test
    void catchesAnObserverWithAGhostAndAMissingMemberByIdentity() {
        // The watcher w counts 3 (itself, b, g) as the server lists 3 (a, b, w): only IDs tell.
        Expectation expected = new Expectation().members(SESSION, 3).untracked(SESSION, 1).members(SESSION, -1);
        List<Violation> violations = Checker.compareSession(SESSION, List.of("a", "b", "w"), expected,
                List.of(roster("a", Set.of("b", "w")), roster("b", Set.of("a", "w"))),
                Map.of("watch-1", new WatchProcess.WatchView(3, "w", Set.of("b", "g"))), Function.identity());
        assertEquals(List.of("watch_roster"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("ghosts (held, not listed): [g]")
                && violations.get(0).detail().contains("missing (listed, not held): [a]"), violations.toString());
    }
}
