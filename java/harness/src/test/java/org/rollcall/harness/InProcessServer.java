package org.rollcall.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.rollcall.server.App;
import org.rollcall.server.RollcallServer;
import org.rollcall.server.ServerConfig;

/**
 * The server in this JVM, on a free port; no connect-rate limit (every client is 127.0.0.1) and no
 * overload shedding; the admin API behind its own secret.
 */
final class InProcessServer implements ServerTarget {
    private static final String KEY = "harness";
    private static final String SECRET = "harness-secret";
    private static final String ADMIN_SECRET = "harness-admin-secret";

    private final RollcallServer server;

    InProcessServer() {
        try {
            server = RollcallServer.builder().port(0).app(new App(KEY, SECRET, ADMIN_SECRET))
                    .config(ServerConfig.builder().connectRate(1_000_000).connectBurst(1_000_000)
                            .overloadLagMs(600_000).build()) // see Main.scenarioServerDefaults
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String httpUrl() {
        return server.url();
    }

    @Override
    public String apiKey() {
        return KEY;
    }

    @Override
    public String secret() {
        return SECRET;
    }

    @Override
    public String adminSecret() {
        return ADMIN_SECRET;
    }

    @Override
    public void close() {
        server.close();
    }
}
