/* One timer for every session: a hashed timer wheel of
 * 10 ms slots driven by a single uv_timer. Arming, moving and cancelling a
 * timer is O(1) whatever the number of sessions (libwebsockets, the old
 * transport, kept one sorted list, linear per insert); a tick looks at one slot. Timers fire at
 * or after their due time, at most one tick late. Library thread only. */

#include "internal.h"

#include <time.h>
#include <uv.h>

#define TICK_US (10 * OTC_US_PER_MS)
#define SLOT_COUNT 1024 /* 10.24 s per turn; later timers wait for their turn */

static struct otc_timer slots[SLOT_COUNT]; /* sentinels of circular lists */
static int64_t next_tick;                  /* the next slot to look at, as a tick number */
static size_t armed;
static uv_timer_t ticker;
static bool ticking;

otc_usec otc_now_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (otc_usec)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void unlink_timer(struct otc_timer* timer) {
  timer->prev->next = timer->next;
  timer->next->prev = timer->prev;
  timer->next = NULL;
  timer->prev = NULL;
}

static void insert(struct otc_timer* list, struct otc_timer* timer) {
  timer->prev = list->prev;
  timer->next = list;
  list->prev->next = timer;
  list->prev = timer;
}

static void tick(uv_timer_t* unused);

static void slot_insert(struct otc_timer* timer) {
  int64_t at = timer->due / TICK_US;
  if (at < next_tick) {
    at = next_tick;
  }
  insert(&slots[at % SLOT_COUNT], timer);
}

void wheel_start(void) {
  for (size_t i = 0; i < SLOT_COUNT; i++) {
    slots[i].next = slots[i].prev = &slots[i];
  }
  next_tick = otc_now_us() / TICK_US;
  armed = 0;
  uv_timer_init(otc_g.loop, &ticker);
  ticking = false;
}

void wheel_stop(void) {
  uv_close((uv_handle_t*)&ticker, NULL);
}

void timer_schedule(struct otc_timer* timer, otc_timer_fn fn, otc_usec delay) {
  if (timer->next) {
    unlink_timer(timer);
  } else {
    armed++;
  }
  timer->fn = fn;
  timer->due = otc_now_us() + (delay > 0 ? delay : 0);
  slot_insert(timer);
  if (!ticking) {
    next_tick = otc_now_us() / TICK_US; /* the wheel stood still: no slot is late */
    ticking = true;
    uv_timer_start(&ticker, tick, TICK_US / OTC_US_PER_MS, TICK_US / OTC_US_PER_MS);
  }
}

void timer_cancel(struct otc_timer* timer) {
  if (timer->next) {
    unlink_timer(timer);
    armed--;
  }
}

/* Fires the due timers of one slot; the others (later turns) stay. A fired
 * timer may arm or cancel any timer, also one of this slot. */
static void run_slot(int64_t tick_number, otc_usec now) {
  struct otc_timer* slot = &slots[tick_number % SLOT_COUNT];
  struct otc_timer pending;
  if (slot->next == slot) {
    return;
  }
  /* Move the slot's timers to a private list, then take them one by one. */
  pending.next = slot->next;
  pending.prev = slot->prev;
  pending.next->prev = &pending;
  pending.prev->next = &pending;
  slot->next = slot->prev = slot;
  while (pending.next != &pending) {
    struct otc_timer* timer = pending.next;
    unlink_timer(timer);
    if (timer->due <= now) {
      armed--;
      timer->fn(timer);
    } else {
      int64_t at = timer->due / TICK_US;
      insert(&slots[(at > tick_number ? at : tick_number + 1) % SLOT_COUNT], timer);
    }
  }
}

static void tick(uv_timer_t* unused) {
  (void)unused;
  otc_usec now = otc_now_us();
  int64_t now_tick = now / TICK_US;
  int64_t last = now_tick;
  if (last - next_tick >= SLOT_COUNT) {
    last = next_tick + SLOT_COUNT - 1; /* a long stall: every slot once */
  }
  while (next_tick <= last) {
    int64_t number = next_tick++;
    run_slot(number, now);
  }
  if (next_tick <= now_tick) {
    next_tick = now_tick + 1;
  }
  if (armed == 0 && ticking) {
    ticking = false; /* an idle library sleeps */
    uv_timer_stop(&ticker);
  }
}
