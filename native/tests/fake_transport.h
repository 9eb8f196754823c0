#ifndef OTC_TESTS_FAKE_TRANSPORT_H
#define OTC_TESTS_FAKE_TRANSPORT_H

/* A fake library thread for the protocol core (test_core.c, fuzz_core.c):
 * a clock that moves only when told, timers on it, and a transport that
 * records what the core sends instead of sending it. */

#include "engine.h"

extern otc_usec fake_now;
extern int sockets_opened;
extern char sent[8][1024]; /* client frames, newest at (sent_count - 1) % 8 */
extern int sent_count;
extern bool close_sent;

/* Moves the clock forward, firing due timers in order of their due time. */
void advance_ms(int milliseconds);
/* Cancels every timer left (a fuzz input's end). */
void fake_timers_reset(void);

#endif /* OTC_TESTS_FAKE_TRANSPORT_H */
