package org.rollcall.server;

import java.util.Map;

/** What every socket's handlers share. */
record ServerContext(ServerConfig config, Map<String, App> apps, Presence presence, Heartbeats heartbeats,
                     OutboundBudget outboundBudget, Metrics metrics, ConnectRateLimiter connectLimiter,
                     StaticFiles staticFiles, Security security) {

    /** The app whose tokens {@code POST /v1/dev/token} mints: the first one. */
    App devApp() {
        return apps.values().iterator().next();
    }
}
