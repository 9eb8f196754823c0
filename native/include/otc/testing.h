#ifndef OTC_TESTING_H
#define OTC_TESTING_H

/*
 * Hooks for tests and benchmarks only; not part of the stable API and not
 * included by <otc/otc.h>.
 */

#include <otc/session.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Delivers `count` synthetic pairs of on_connection_created and
 * on_connection_dropped (reason clientDisconnected) to the session's
 * callbacks, on the library thread, without any network. Returns at once;
 * the callbacks follow in order. Each pair has a fresh connection
 * ("inject-<n>", data "", creation time now). Used to measure the cost of a
 * callback (e.g. through the Java binding).
 * Only on a session that is not connecting or connected:
 * OTC_ERROR_INVALID_STATE otherwise. count must be >= 0.
 */
OTC_API otc_status otc_session_test_inject_connection_events(otc_session* session,
                                                             int count);

/* otc_connection_get_event_seq() and otc_connection_get_event_epoch() moved
 * to the public API (<otc/connection.h>, included here). */

/*
 * Makes libotc's n-th allocation from now fail (n >= 1), once; 0 turns it
 * off. Counts libotc's own allocations only (not those of libuv, wslay or
 * OpenSSL), process-wide, from any thread. For out-of-memory tests.
 */
OTC_API void otc_test_fail_allocation(long n);

/*
 * Drops the session's socket without a close frame, as a broken network would.
 * The session reconnects (resuming its connection) as after a real loss.
 * OTC_ERROR_INVALID_STATE when the session is not connecting or connected.
 */
OTC_API otc_status otc_session_test_drop_socket(otc_session* session);

#ifdef __cplusplus
}
#endif

#endif /* OTC_TESTING_H */
