package org.rollcall;

import org.rollcall.binding.OtcLib;

/** Why a connection left its session (docs/protocol.md, "Events"). */
public enum DropReason {
    /** The client closed its connection cleanly: disconnected, closed its session, or exited. */
    CLIENT_DISCONNECTED,
    /** The client's network or process went away and it did not come back within the grace period. */
    NETWORK_DISCONNECTED,
    /** The application removed it through the server's admin API. */
    FORCE_DISCONNECTED;

    /** libotc's {@code otc_connection_drop_reason}, or {@code null} for none. */
    static DropReason fromNative(int reason) {
        switch (reason) {
            case OtcLib.OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED:
                return CLIENT_DISCONNECTED;
            case OtcLib.OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED:
                return NETWORK_DISCONNECTED;
            case OtcLib.OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED:
                return FORCE_DISCONNECTED;
            default:
                return null;
        }
    }
}
