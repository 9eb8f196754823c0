package org.rollcall.harness;

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

    @Override
    default void close() {
    }
}
