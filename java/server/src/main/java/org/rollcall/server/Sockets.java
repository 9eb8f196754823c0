package org.rollcall.server;

import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;

final class Sockets {
    /** How long a closing socket may take to deliver its last frames to a peer that does not read. */
    static final long CLOSE_LINGER_MS = 1000;

    private Sockets() {
    }

    /** Closes the socket after a short linger, in case a peer that does not read holds up the close. */
    static void closeSoon(Channel channel) {
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_LINGER_MS, TimeUnit.MILLISECONDS);
    }
}
