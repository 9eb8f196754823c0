package org.rollcall.harness;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress for long runs: one line per interval with the scenario, its phase, clients connected
 * and events seen, summed over the otc-load processes and the Java clients. Prints only while a
 * scenario runs.
 */
final class Progress {
    private final Harness harness;
    private final PrintStream out;
    private final Duration interval;
    private volatile String scenario;
    private volatile String phase = "";
    private volatile int expected;
    private volatile long started;
    private Thread thread;

    Progress(Harness harness, PrintStream out, Duration interval) {
        this.harness = harness;
        this.out = out;
        this.interval = interval;
    }

    synchronized void begin(String scenario) {
        this.scenario = scenario;
        this.started = System.nanoTime();
        this.phase = "start";
        if (thread == null && !interval.isZero()) {
            thread = new Thread(this::loop, "progress");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** A new phase; {@code expected} is the number of clients it should end with connected. */
    void phase(String phase, int expected) {
        this.phase = phase;
        this.expected = expected;
        print();
    }

    /** One line now, whatever the interval (chaos: one per round). */
    void note(String line) {
        out.println(line);
        out.flush();
    }

    void end() {
        print();
        scenario = null;
    }

    synchronized void stop() {
        if (thread != null) {
            thread.interrupt();
            thread = null;
        }
    }

    void print() {
        String name = scenario;
        if (name == null) {
            return;
        }
        JavaClients java = harness.java();
        long connected = harness.sum("connected") + java.connected();
        long events = harness.sum("created") + harness.sum("dropped") + java.events();
        out.printf(Locale.ROOT, "[%-14s %7.1fs] %-12s clients %d/%d connected, events %d, reconnects %d, violations %d%n",
                name, (System.nanoTime() - started) / 1e9, phase, connected, expected, events,
                harness.sum("reconnects_started"), harness.sum("violations") + java.violations().size());
        out.flush();
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(interval.toMillis());
                print();
            }
        } catch (InterruptedException e) {
            // stopped
        }
    }
}
