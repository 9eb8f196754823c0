/* Messages read ahead of the application, applied under a time budget per
 * loop round (inbox.h says why). */

#include "inbox.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* How long one round of the loop applies messages: once as they are read,
 * once more from the inboxes after all sockets were read. A ping waits at
 * most about twice this (plus one message) before it is read. */
#define ROUND_BUDGET_US (4 * OTC_US_PER_MS)

struct inbox_message {
  struct inbox_message* next;
  size_t length;
  char* text; /* `copy`, or a buffer of its own */
  char copy[];
};

/* Inboxes with messages, applied in turn; a circular list through `waiting`. */
static struct inbox waiting;
/* Runs after the loop has read its sockets; the idle handle keeps the loop
 * from sleeping in poll while messages wait. */
static uv_check_t after_reads;
static uv_idle_t keep_awake;
/* When this round's budget ends; 0 before the round applied anything. */
static otc_usec round_deadline;

static bool listed(const struct inbox* box) {
  return box->next != NULL;
}

static void unlist(struct inbox* box) {
  box->prev->next = box->next;
  box->next->prev = box->prev;
  box->prev = box->next = NULL;
}

static void list_last(struct inbox* box) {
  box->prev = waiting.prev;
  box->next = &waiting;
  waiting.prev->next = box;
  waiting.prev = box;
}

static bool round_has_time(void) {
  otc_usec now = otc_now_us();
  if (round_deadline == 0) {
    round_deadline = now + ROUND_BUDGET_US;
  }
  return now < round_deadline;
}

/* Takes the first message off the box; the caller applies and frees it. */
static struct inbox_message* take(struct inbox* box) {
  struct inbox_message* m = box->head;
  box->head = m->next;
  if (!box->head) {
    box->tail = NULL;
  }
  box->bytes -= m->length;
  return m;
}

static void message_free(struct inbox_message* m) {
  if (m->text != m->copy) {
    free(m->text);
  }
  free(m);
}

/* Applies the box's first message; the box goes to the end of the waiting
 * list if more wait, before the owner (which may clear it) is called. */
static void apply_first(struct inbox* box) {
  struct inbox_message* m = take(box);
  unlist(box); /* a box with messages is always listed */
  if (box->head) {
    list_last(box);
  }
  box->apply(box, m->text, m->length);
  message_free(m);
}

static void apply_waiting(uv_check_t* check) {
  (void)check;
  round_deadline = 0;
  while (waiting.next != &waiting && round_has_time()) {
    apply_first(waiting.next);
  }
  round_deadline = 0; /* the next round's reads start a new budget */
  if (waiting.next == &waiting) {
    uv_check_stop(&after_reads);
    uv_idle_stop(&keep_awake);
  }
}

static void stay_awake(uv_idle_t* idle) {
  (void)idle;
}

void inbox_start(void) {
  waiting.prev = waiting.next = &waiting;
  round_deadline = 0;
  uv_check_init(otc_g.loop, &after_reads);
  uv_idle_init(otc_g.loop, &keep_awake);
}

bool inbox_may_apply_now(const struct inbox* box) {
  return box->head == NULL && round_has_time();
}

static void push(struct inbox* box, struct inbox_message* m, size_t length) {
  m->next = NULL;
  m->length = length;
  if (box->tail) {
    box->tail->next = m;
  } else {
    box->head = m;
  }
  box->tail = m;
  box->bytes += length;
  if (!listed(box)) {
    list_last(box);
    uv_check_start(&after_reads, apply_waiting);
    uv_idle_start(&keep_awake, stay_awake);
  }
}

bool inbox_push(struct inbox* box, const char* text, size_t length) {
  struct inbox_message* m = otc_malloc(sizeof *m + length);
  if (!m) {
    return false;
  }
  m->text = m->copy;
  memcpy(m->copy, text, length);
  push(box, m, length);
  return true;
}

bool inbox_push_owned(struct inbox* box, char* text, size_t length) {
  struct inbox_message* m = otc_malloc(sizeof *m);
  if (!m) {
    return false;
  }
  m->text = text;
  push(box, m, length);
  return true;
}

void inbox_drain(struct inbox* box) {
  while (box->head) {
    apply_first(box);
  }
}

void inbox_clear(struct inbox* box) {
  while (box->head) {
    message_free(take(box));
  }
  if (listed(box)) {
    unlist(box);
  }
}
