#ifndef OTC_CONNECTION_H
#define OTC_CONNECTION_H

/*
 * A connection: one client in a session (OpenTok's otc_connection).
 *
 * A connection passed to a callback lives only during that call; keep it with
 * otc_connection_copy() and release the copy with otc_connection_delete().
 * The getters return strings owned by the connection (valid as long as it is).
 */

#include <otc/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct otc_connection otc_connection;

/* Extension: why a connection left the session (protocol.md "Events"). */
enum otc_connection_drop_reason {
  OTC_CONNECTION_DROP_REASON_NONE = 0,        /* not dropped, or unknown */
  OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED = 1,  /* it closed cleanly */
  OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED = 2, /* lost, grace over */
  OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED = 3    /* admin API */
};

/* The server-chosen connection ID. NULL for a NULL connection. */
OTC_API const char* otc_connection_get_id(const otc_connection* connection);

/* The connection data from the client's token ("" when none). */
OTC_API const char* otc_connection_get_data(const otc_connection* connection);

/* When the server accepted the connection: milliseconds since the Unix epoch.
 * 0 for a NULL connection. */
OTC_API int64_t otc_connection_get_creation_time(const otc_connection* connection);

/* The ID of the session the connection belongs to. */
OTC_API const char* otc_connection_get_session_id(const otc_connection* connection);

/* A copy that the caller owns; NULL for a NULL connection or out of memory. */
OTC_API otc_connection* otc_connection_copy(const otc_connection* connection);

/*
 * Frees a copy made with otc_connection_copy(). Connections owned by libotc
 * (passed to callbacks, or from otc_session_get_connection()) are not freed:
 * OTC_ERROR_INVALID_HANDLE. NULL: OTC_ERROR_INVALID_PARAM.
 */
OTC_API otc_status otc_connection_delete(otc_connection* connection);

/*
 * Extension: the reason a connection was dropped. Set on the connection passed
 * to on_connection_dropped (and kept by copies), and on the session's own
 * connection during on_disconnected after a forced disconnect. Otherwise
 * OTC_CONNECTION_DROP_REASON_NONE.
 */
OTC_API enum otc_connection_drop_reason otc_connection_get_drop_reason(
    const otc_connection* connection);

/* The protocol's name of a reason: "clientDisconnected", "networkDisconnected",
 * "forceDisconnected", or "none". Never NULL; static storage. */
OTC_API const char* otc_connection_drop_reason_string(
    enum otc_connection_drop_reason reason);

/*
 * Extension (libotc 2, version node OTC_1): where the event behind the current
 * on_connection_created or on_connection_dropped callback stands in its
 * session's one order (docs/protocol.md): every member sees the same event at
 * the same (epoch, seq), and (epoch, seq) ordered lexicographically never goes
 * backwards for a session ID. An application that merges the views of several
 * sessions or processes can deduplicate and order events by it.
 * The seq is -1 when the callback comes from a roster (after on_connected) or a
 * reconciliation (after on_reconnection_started), which have no position, and
 * on NULL. The epoch is 0 when the seq is -1, from a v1 server (which sends
 * none), and on NULL. A copy keeps both values.
 */
OTC_API int64_t otc_connection_get_event_seq(const otc_connection* connection);
OTC_API int64_t otc_connection_get_event_epoch(const otc_connection* connection);
#define OTC_HAVE_EVENT_SEQ 1
#define OTC_HAVE_EVENT_EPOCH 1

#ifdef __cplusplus
}
#endif

#endif /* OTC_CONNECTION_H */
