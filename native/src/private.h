#ifndef OTC_PRIVATE_H
#define OTC_PRIVATE_H

/* The entry points that libotc-testing (testing.c) calls in libotc. Exported
 * from libotc.so under the version node OTC_PRIVATE_0 only, for the testing
 * library of the same build: no application calls them, and they may change
 * in any release. Not installed. */

#include <otc/otc.h>

#include <stdint.h>

#define OTC_PRIVATE __attribute__((visibility("default")))

enum otc_private_command { OTC_PRIVATE_INJECT, OTC_PRIVATE_DROP_SOCKET };

OTC_PRIVATE otc_status otc_private_test_command(otc_session* session,
                                                enum otc_private_command command, int count);
OTC_PRIVATE void otc_private_fail_allocation(long n);

#endif /* OTC_PRIVATE_H */
