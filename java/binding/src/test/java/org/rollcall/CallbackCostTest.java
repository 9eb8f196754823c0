package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rollcall.bench.CallbackCost;

/** Runs the benchmark briefly: every event arrives. The figures are printed, never asserted. */
class CallbackCostTest {
    @Test
    void everyInjectedEventReachesCAndJava() throws Exception {
        CallbackCost.Result result = CallbackCost.measure(50_000, 3);
        System.out.printf("callback cost (short run, not warmed up): C %.1f ns/event, Java %.1f ns/event%n",
                result.c(), result.java());
        assertTrue(result.c() > 0 && result.java() > 0);
    }
}
