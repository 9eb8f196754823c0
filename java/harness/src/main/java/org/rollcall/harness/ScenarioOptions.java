package org.rollcall.harness;

import java.time.Duration;

/**
 * The size of a scenario run. Small for tests (tens of clients, seconds), big for benchmarks.
 *
 * @param clients C clients (otc-load), spread over the processes
 * @param processes otc-load processes at least (more when clients exceed 5000 per process)
 * @param javaClients clients through the Java binding (the JNI path)
 * @param duration how long churn churns and the idle session idles
 * @param rate connects per second per process for paced joins (0: all at once); churn: joins per second
 * @param watchers otc-watch processes (kill-storm: half are killed)
 */
record ScenarioOptions(int clients, int processes, int javaClients, Duration duration, double rate, int watchers) {
    static ScenarioOptions small() {
        return new ScenarioOptions(40, 2, 2, Duration.ofSeconds(3), 0, 2);
    }
}
