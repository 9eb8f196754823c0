/* The fake library thread of fake_transport.h. */

#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

struct otc_global otc_g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .callback_done = PTHREAD_COND_INITIALIZER,
    .state_changed = PTHREAD_COND_INITIALIZER,
};

otc_usec fake_now;
static struct otc_timer armed = {.next = &armed, .prev = &armed};
int sockets_opened;
char sent[8][1024];
int sent_count;
bool close_sent;

bool on_library_thread(void) { return true; }
otc_usec otc_now_us(void) { return fake_now; }

void timer_schedule(struct otc_timer* t, otc_timer_fn fn, otc_usec delay) {
  timer_cancel(t);
  t->fn = fn;
  t->due = fake_now + delay;
  t->prev = armed.prev;
  t->next = &armed;
  armed.prev->next = t;
  armed.prev = t;
}

void timer_cancel(struct otc_timer* t) {
  if (t->next) {
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = NULL;
  }
}

/* Moves the clock forward, firing due timers in order of their due time. */
void advance_ms(int ms_) {
  otc_usec end = fake_now + ms(ms_);
  for (;;) {
    struct otc_timer* first = NULL;
    for (struct otc_timer* t = armed.next; t != &armed; t = t->next) {
      if (t->due <= end && (!first || t->due < first->due)) {
        first = t;
      }
    }
    if (!first) {
      break;
    }
    if (first->due > fake_now) {
      fake_now = first->due;
    }
    timer_cancel(first);
    first->fn(first);
  }
  fake_now = end;
}

static void reset_socket(struct session* s) {
  free(s->outgoing);
  s->outgoing = NULL;
  s->ping_due = s->close_due = false;
}
void abandon_socket(struct session* s) {
  s->socket = SOCKET_NONE;
  s->silence_rechecked = false;
  timer_cancel(&s->heartbeat_timer);
  reset_socket(s);
}
void release_socket(struct session* s) { abandon_socket(s); }
void open_socket(struct session* s) {
  sockets_opened++;
  s->socket = SOCKET_OPENING;
  s->last_received = fake_now;
  schedule_heartbeat(s);
}
void socket_flush(struct session* s) {
  if (s->outgoing) {
    snprintf(sent[sent_count++ % 8], sizeof sent[0], "%.*s", (int)s->outgoing_length,
             s->outgoing);
    free(s->outgoing);
    s->outgoing = NULL;
  }
  if (s->close_due) {
    close_sent = true;
    s->close_due = false;
  }
}
bool socket_has_unread_bytes(const struct session* s) { (void)s; return false; }
otc_usec fake_life_period;
void socket_show_life_every(struct session* s, otc_usec period) {
  (void)s;
  fake_life_period = period;
}

void fake_timers_reset(void) {
  while (armed.next != &armed) {
    timer_cancel(armed.next);
  }
}
