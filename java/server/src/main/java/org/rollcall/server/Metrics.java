package org.rollcall.server;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Counters for {@code GET /metrics}, in Prometheus text format. Formatted by hand: a handful of
 * counters and two gauges do not justify a metrics library and its dependencies in the server.
 */
public final class Metrics {
    private final LongAdder eventsSent = new LongAdder();
    private final LongAdder framesSent = new LongAdder();
    private final LongAdder eventsBatched = new LongAdder();
    private final Map<Reason, LongAdder> drops = new EnumMap<>(Reason.class);
    private final Map<ErrorCode, LongAdder> errors = new EnumMap<>(ErrorCode.class);
    /** Redis round trips by operation (join, leave, ...), on a node that serves with Redis; sorted for stable output. */
    private final Map<String, LongAdder> redisRoundTrips = new java.util.concurrent.ConcurrentSkipListMap<>();
    private volatile IntSupplier connections = () -> 0;
    private volatile IntSupplier sessions = () -> 0;

    public Metrics() {
        for (Reason reason : Reason.values()) {
            drops.put(reason, new LongAdder());
        }
        for (ErrorCode code : ErrorCode.values()) {
            errors.put(code, new LongAdder());
        }
    }

    void gauges(IntSupplier connections, IntSupplier sessions) {
        this.connections = connections;
        this.sessions = sessions;
    }

    /** A batch's fan-out: {@code frames} frames, {@code events} events in them, {@code batched} of those in frames of more than one. */
    void eventsFramesSent(long frames, long events, long batched) {
        framesSent.add(frames);
        eventsSent.add(events);
        eventsBatched.add(batched);
    }

    void departed(Reason reason) {
        drops.get(reason).increment();
    }

    void redisRoundTrip(String operation) {
        redisRoundTrips.computeIfAbsent(operation, unused -> new LongAdder()).increment();
    }

    long redisRoundTrips(String operation) {
        LongAdder count = redisRoundTrips.get(operation);
        return count == null ? 0 : count.sum();
    }

    void error(ErrorCode code) {
        errors.get(code).increment();
    }

    long eventsSent() {
        return eventsSent.sum();
    }

    long framesSent() {
        return framesSent.sum();
    }

    String prometheusText() {
        StringBuilder text = new StringBuilder(2048);
        gauge(text, "rollcall_connections", "Connections, those in their grace period included.",
                connections.getAsInt());
        gauge(text, "rollcall_sessions", "Sessions with at least one connection.", sessions.getAsInt());
        counter(text, "rollcall_events_sent_total", "Connection events sent to members.", eventsSent.sum());
        counter(text, "rollcall_frames_sent_total", "events frames sent to members.", framesSent.sum());
        counter(text, "rollcall_events_batched_total", "Events that shared their frame with others.",
                eventsBatched.sum());
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(text, "rollcall_jvm_heap_used_bytes", "JVM heap in use (capacity benchmarks read it).",
                heap.getUsed());
        gauge(text, "rollcall_jvm_heap_committed_bytes", "JVM heap committed.", heap.getCommitted());
        header(text, "rollcall_drops_total", "counter", "Connections that left, by reason.");
        drops.forEach((reason, count) -> text.append("rollcall_drops_total{reason=\"")
                .append(reason.wireName()).append("\"} ").append(count.sum()).append('\n'));
        header(text, "rollcall_errors_total", "counter", "Error frames sent before closing a socket, by code.");
        errors.forEach((code, count) -> text.append("rollcall_errors_total{code=\"")
                .append(code.code()).append("\"} ").append(count.sum()).append('\n'));
        if (!redisRoundTrips.isEmpty()) {
            header(text, "rollcall_redis_round_trips_total", "counter",
                    "Redis round trips by operation; one per join, resume, leave or force, whatever the session's size.");
            redisRoundTrips.forEach((operation, count) -> text.append("rollcall_redis_round_trips_total{op=\"")
                    .append(operation).append("\"} ").append(count.sum()).append('\n'));
        }
        return text.toString();
    }

    private static void gauge(StringBuilder text, String name, String help, long value) {
        header(text, name, "gauge", help);
        text.append(name).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder text, String name, String help, long value) {
        header(text, name, "counter", help);
        text.append(name).append(' ').append(value).append('\n');
    }

    private static void header(StringBuilder text, String name, String type, String help) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }
}
