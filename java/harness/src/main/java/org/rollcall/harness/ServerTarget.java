package org.rollcall.harness;

import java.util.List;
import java.util.OptionalLong;

/** The server a scenario runs against: its URLs and app, and what the harness may do to it. */
interface ServerTarget extends AutoCloseable {
    /** {@code http://host:port}, no trailing slash. */
    String httpUrl();

    default String wsUrl() {
        return httpUrl().replaceFirst("^http", "ws") + "/v1/ws";
    }

    String apiKey();

    String secret();

    /**
     * The admin API's secret (HTTP Basic {@code apiKey:adminSecret}). Servers since the admin
     * slice keep it apart from the token-signing secret; older ones took the signing secret.
     */
    default String adminSecret() {
        return secret();
    }

    /** Whether {@link #killAndRestart()} works: only for a server the harness started. */
    default boolean restartable() {
        return false;
    }

    /** {@code kill -9} of the server, then a new one on the same port. Returns when it listens. */
    default void killAndRestart() {
        throw new UnsupportedOperationException("the harness did not start this server");
    }

    /** The server's process ID when it runs in its own process the harness knows. */
    default OptionalLong pid() {
        return OptionalLong.empty();
    }

    /** Server nodes behind this target: more than one with {@code --nodes} ({@link SpawnedCluster}). */
    default int nodes() {
        return 1;
    }

    /** {@code kill -9} of one node (0 to {@link #nodes()} - 1) and a new one on its port. */
    default void killAndRestart(int node) {
        killAndRestart();
    }

    /** Every node's {@code http://host:port}: metrics are summed over them. */
    default List<String> nodeHttpUrls() {
        return List.of(httpUrl());
    }

    /** Every process that serves (nodes and Redis for a cluster): CPU is summed over them, placement moves them. */
    default List<Long> pids() {
        return pid().isPresent() ? List.of(pid().getAsLong()) : List.of();
    }

    @Override
    default void close() {
    }
}
