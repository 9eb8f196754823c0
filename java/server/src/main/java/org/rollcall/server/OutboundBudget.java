package org.rollcall.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's bound on outbound bytes waiting in every socket's {@link Outbox}. Over it, sockets
 * that do not drain are dropped (1503) and new connections are refused (1023), so clients that do
 * not read cannot exhaust the direct memory that every member's frames come from.
 */
final class OutboundBudget {
    private final long limit;
    private final AtomicLong waiting = new AtomicLong();

    OutboundBudget(long limit) {
        this.limit = limit;
    }

    void add(long bytes) {
        waiting.addAndGet(bytes);
    }

    boolean exceeded() {
        return waiting.get() > limit;
    }

    long waiting() {
        return waiting.get();
    }
}
