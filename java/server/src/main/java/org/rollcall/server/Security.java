package org.rollcall.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The per-server state of {@link SecurityConfig}: warnings per address, login failures, open sockets. */
final class Security {
    private final SecurityConfig config;
    private final AddressWarnings warnings;
    private final LoginThrottle logins;
    private final ConcurrentHashMap<InetAddress, AtomicInteger> openSockets = new ConcurrentHashMap<>();

    Security(SecurityConfig config) {
        this.config = config;
        this.warnings = new AddressWarnings(config.warnIntervalMs());
        this.logins = new LoginThrottle(config.adminLoginRate(), config.adminLoginBurst());
    }

    SecurityConfig config() {
        return config;
    }

    AddressWarnings warnings() {
        return warnings;
    }

    LoginThrottle logins() {
        return logins;
    }

    /** Counts a new socket from this address, unless the address is at its cap. */
    boolean tryOpenSocket(InetAddress address) {
        boolean[] admitted = {false};
        openSockets.compute(address, (a, count) -> {
            if (count == null) {
                count = new AtomicInteger();
            }
            if (count.get() < config.maxSocketsPerAddress()) {
                count.incrementAndGet();
                admitted[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        return admitted[0];
    }

    /** A counted socket closed; an address with none left is forgotten. */
    void socketClosed(InetAddress address) {
        openSockets.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    /** Open counted sockets from this address (for tests and metrics). */
    int openSockets(InetAddress address) {
        AtomicInteger count = openSockets.get(address);
        return count == null ? 0 : count.get();
    }
}
