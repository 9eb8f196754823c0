package org.rollcall.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rollcall.DropReason;
import org.rollcall.TestHooks;

/**
 * The chaos checks, fed crafted logs: one order by (epoch, seq) across processes and a server
 * restart, and each drop's reason judged by what the round did to that connection
 * ({@link ChaosLedger}). Each must catch its broken promise and pass the clean case.
 */
class ChaosCheckerTest {
    private static final String SESSION = "s";
    private static final long E1 = 1764445100000L;
    private static final long E2 = 1764445200000L;

    private static EventOrder.Entry created(long epoch, long seq, String conn) {
        return new EventOrder.Entry(epoch, seq, "created", conn, "data-" + conn, "");
    }

    private static EventOrder.Entry dropped(long epoch, long seq, String conn, String reason) {
        return new EventOrder.Entry(epoch, seq, "dropped", conn, "data-" + conn, reason);
    }

    private static EventOrder.Log log(String source, EventOrder.Entry... entries) {
        return new EventOrder.Log(source, false, List.of(entries));
    }

    private static List<String> kinds(List<Violation> violations) {
        return violations.stream().map(Violation::kind).toList();
    }

    private static ChaosLedger anything() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(1);
        ledger.allow(List.of("x", "y", "z"), "test", "clientDisconnected", "networkDisconnected", "forceDisconnected");
        return ledger;
    }

    @Test
    void aCAndAJsProcessAgreeingAcrossAServerRestartPass() {
        // Before the restart x and y; the new server's life starts its seqs over at a greater epoch.
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", created(E1, 1, "x"), created(E1, 2, "y"), created(E2, 1, "z")),
                log("js-2", created(E1, 2, "y"), created(E2, 1, "z"))), anything());
        assertEquals(List.of(), violations);
    }

    @Test
    void catchesADuplicateCreationInANewEpochAtTheSameSeq() {
        // By seq alone the two would be one event; by (epoch, seq) x is created twice.
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", created(E1, 1, "x")),
                log("js-2", created(E2, 1, "x"))), anything());
        assertEquals(List.of("duplicate_created"), kinds(violations), violations.toString());
    }

    @Test
    void catchesACreationInALaterEpochThanItsDrop() {
        // By seq alone creation 1 comes before drop 2; by (epoch, seq) the drop comes first.
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", dropped(E1, 2, "x", "networkDisconnected")),
                log("js-2", created(E2, 1, "x"))), anything());
        assertEquals(List.of("out_of_order"), kinds(violations), violations.toString());
    }

    @Test
    void catchesAJsProcessSeeingAnotherEventAtTheSamePosition() {
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", created(E2, 1, "x"), created(E2, 2, "y")),
                log("js-2", created(E2, 1, "y"))), anything());
        assertTrue(kinds(violations).contains("seq_mismatch"), violations.toString());
        assertTrue(violations.get(0).detail().contains("epoch " + E2), violations.toString());
    }

    @Test
    void readsTheEpochOfEachSeqlogEntry() throws Exception {
        EventOrder.Log log = EventOrder.Log.fromJson("js-2", new ObjectMapper().readTree(
                "{\"type\":\"seqlog\",\"events\":[[3,\"dropped\",\"x\",\"d\",\"forceDisconnected\"," + E2 + "]]}"));
        assertEquals(List.of(new EventOrder.Entry(E2, 3, "dropped", "x", "d", "forceDisconnected")), log.entries());
    }

    @Test
    void eachDropIsJudgedByWhatWasDoneToItsConnection() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(1);
        ledger.allow(List.of("left"), "leave", "clientDisconnected");
        ledger.allow(List.of("killed"), "kill -9", "networkDisconnected");
        ledger.allow(List.of("forced"), "force-disconnect", "forceDisconnected");
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(log("load-1",
                created(E1, 1, "left"), created(E1, 2, "killed"), created(E1, 3, "forced"),
                dropped(E1, 4, "left", "clientDisconnected"), dropped(E1, 5, "killed", "networkDisconnected"),
                dropped(E1, 6, "forced", "forceDisconnected"))), ledger);
        assertEquals(List.of(), violations);
    }

    @Test
    void catchesAWrongReasonForWhatWasDone() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(1);
        ledger.allow(List.of("left"), "leave", "clientDisconnected");
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(log("js-2",
                created(E1, 1, "left"), dropped(E1, 2, "left", "networkDisconnected"))), ledger);
        assertEquals(List.of("wrong_reason"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("expected clientDisconnected"), violations.toString());
    }

    @Test
    void catchesADropOfAConnectionFrozenShorterThanTimeoutPlusGrace() {
        ChaosLedger ledger = new ChaosLedger(); // a short SIGSTOP allows nothing
        ledger.beginRound(1);
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(log("load-1",
                created(E1, 1, "frozen"), dropped(E1, 2, "frozen", "networkDisconnected"))), ledger);
        assertEquals(List.of("unexpected_drop"), kinds(violations), violations.toString());
    }

    @Test
    void anAllowanceHoldsForItsRoundOnly() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(1);
        ledger.allow(List.of("cut"), "reset link", "networkDisconnected"); // it resumed: no drop in round 1
        ledger.beginRound(2);
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(log("load-1",
                created(E1, 1, "cut"), dropped(E1, 2, "cut", "networkDisconnected"))), ledger);
        assertEquals(List.of("unexpected_drop"), kinds(violations), violations.toString());
        assertTrue(violations.get(0).detail().contains("reset link was in round 1"), violations.toString());
    }

    @Test
    void aDropIsJudgedOnceThoughEveryRoundSeesTheWholeLog() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(1);
        ledger.allow(List.of("x"), "kill -9", "networkDisconnected");
        List<EventOrder.Log> logs = List.of(log("load-1", created(E1, 1, "x"), dropped(E1, 2, "x", "networkDisconnected")));
        assertEquals(List.of(), EventOrder.checkWith(SESSION, logs, ledger));
        ledger.beginRound(2);
        assertEquals(List.of(), EventOrder.checkWith(SESSION, logs, ledger));
    }

    @Test
    void catchesAJavaClientSeeingAWrongReason() {
        ChaosLedger ledger = new ChaosLedger();
        ledger.beginRound(3);
        ledger.allow(List.of("forced"), "force-disconnect", "forceDisconnected");
        List<Violation> violations = ledger.judgeJava(List.of(
                new JavaClients.Drop("java client 0", "forced", "forceDisconnected"),
                new JavaClients.Drop("java client 1", "forced", "networkDisconnected"),
                new JavaClients.Drop("java client 1", "ghost", "networkDisconnected")));
        assertEquals(List.of("wrong_reason", "unexpected_drop"), kinds(violations), violations.toString());
        assertEquals("java client 1", violations.get(0).where());
    }

    /** A Java client told {@code conn} was created at (epoch, seq), as a listener would be. */
    private static List<Violation> javaSaw(JavaSeqLog log, JavaSeqLog.Reader reader, long epoch, long seq, String conn) {
        return log.saw(reader, "created", TestHooks.connection(conn, "data-" + conn, epoch, seq, null), "");
    }

    @Test
    void aJavaClientAgreeingWithACProcessPasses() {
        JavaSeqLog java = new JavaSeqLog();
        JavaSeqLog.Reader reader = new JavaSeqLog.Reader("java client 0", SESSION);
        assertEquals(List.of(), javaSaw(java, reader, E1, 1, "x"));
        assertEquals(List.of(), java.saw(reader, "created", TestHooks.connection("w", "", 0, -1, null), ""),
                "a roster's connection has no position");
        assertEquals(List.of(), java.saw(reader, "dropped",
                TestHooks.connection("x", "data-x", E2, 1, DropReason.NETWORK_DISCONNECTED), "networkDisconnected"));
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", created(E1, 1, "x"), dropped(E2, 1, "x", "networkDisconnected")),
                java.log(SESSION)), anything());
        assertEquals(List.of(), violations);
    }

    @Test
    void catchesAJavaClientToldAnEventOutOfOrder() {
        JavaSeqLog java = new JavaSeqLog();
        JavaSeqLog.Reader reader = new JavaSeqLog.Reader("java client 0", SESSION);
        assertEquals(List.of(), javaSaw(java, reader, E2, 1, "y"));
        List<Violation> violations = javaSaw(java, reader, E1, 2, "x"); // an earlier epoch after a later one
        assertEquals(List.of("out_of_order"), kinds(violations), violations.toString());
        assertEquals("java client 0", violations.get(0).where());
    }

    @Test
    void catchesAJavaClientAndACProcessSeeingDifferentEventsAtOnePosition() {
        JavaSeqLog java = new JavaSeqLog();
        assertEquals(List.of(), javaSaw(java, new JavaSeqLog.Reader("java client 0", SESSION), E1, 1, "y"));
        List<Violation> violations = EventOrder.checkWith(SESSION, List.of(
                log("load-1", created(E1, 1, "x"), created(E1, 2, "y")), java.log(SESSION)), anything());
        assertTrue(kinds(violations).contains("seq_mismatch"), violations.toString());
        assertTrue(violations.stream().anyMatch(v -> v.detail().contains("java clients")), violations.toString());
    }

    @Test
    void catchesTwoJavaClientsSeeingDifferentEventsAtOnePosition() {
        JavaSeqLog java = new JavaSeqLog();
        assertEquals(List.of(), javaSaw(java, new JavaSeqLog.Reader("java client 0", SESSION), E1, 1, "x"));
        List<Violation> violations = javaSaw(java, new JavaSeqLog.Reader("java client 1", SESSION), E1, 1, "y");
        assertEquals(List.of("seq_mismatch"), kinds(violations), violations.toString());
    }
}
