/* libotc-testing: the hooks of <otc/testing.h>, in their own library so that
 * the installed libotc.so carries none of them. Tests, otc-load and
 * benchmarks link it next to libotc (same build: it calls libotc's private
 * entry points, private.h). */

#include "private.h"

#include <otc/testing.h>

otc_status otc_session_test_inject_connection_events(otc_session* session, int count) {
  return otc_private_test_command(session, OTC_PRIVATE_INJECT, count);
}

otc_status otc_session_test_drop_socket(otc_session* session) {
  return otc_private_test_command(session, OTC_PRIVATE_DROP_SOCKET, 0);
}

void otc_test_fail_allocation(long n) {
  otc_private_fail_allocation(n);
}
