#ifndef OTC_OTC_H
#define OTC_OTC_H

/* Umbrella header: include this one. Add each new public header here.
 * <otc/testing.h> (test hooks) is deliberately not included. */
#include <otc/base.h>
#include <otc/connection.h>
#include <otc/session.h>

#endif /* OTC_OTC_H */
