/* The transport's timer wheel (src/wheel.c) on a real uv loop: every armed
 * timer fires once and never early (how many were late is reported, not
 * checked: a loaded machine delays the loop, not the wheel); cancelled
 * and re-armed timers behave; timers past one turn of the wheel (10.24 s)
 * wait for their turn; and an empty wheel stops ticking (uv_run returns). */

#include "internal.h"

#include "check.h"

#include <uv.h>

struct otc_global otc_g;

#define COUNT 3000
#define LATE_OK_US (60 * OTC_US_PER_MS) /* reported: a tick is 10 ms */

struct probe {
  struct otc_timer timer;
  otc_usec due;
  int fired;
  int rearm; /* times left to re-arm itself */
  bool cancelled;
  bool late;
};

static struct probe probes[COUNT];

static void fired(struct otc_timer* timer) {
  struct probe* p = OTC_CONTAINER_OF(timer, struct probe, timer);
  otc_usec now = otc_now_us();
  CHECK(!p->cancelled);
  CHECK(now >= p->due);
  p->late = p->late || now - p->due > LATE_OK_US;
  if (p->rearm > 0) {
    p->rearm--;
    p->due = now + 20 * OTC_US_PER_MS;
    timer_schedule(timer, fired, 20 * OTC_US_PER_MS);
    return;
  }
  p->fired++;
  /* Cancelling another timer, possibly of this very slot, from a callback. */
  struct probe* victim = &probes[(p - probes + 7) % COUNT];
  if ((victim - probes) % 10 == 3 && !victim->fired) {
    timer_cancel(&victim->timer);
    victim->cancelled = true;
  }
}

int main(void) {
  uv_loop_t loop;
  CHECK(uv_loop_init(&loop) == 0);
  otc_g.loop = &loop;
  wheel_start();
  otc_usec start = otc_now_us();
  for (int i = 0; i < COUNT; i++) {
    otc_usec delay = (otc_usec)((i * 7919) % 1500) * OTC_US_PER_MS;
    if (i % 1000 == 1) {
      delay = 10500 * OTC_US_PER_MS; /* beyond one turn */
    }
    probes[i].rearm = i % 13 == 0 ? 3 : 0;
    probes[i].due = start + delay;
    timer_schedule(&probes[i].timer, fired, delay);
    if (i % 50 == 0) { /* moved: armed again later */
      probes[i].due = otc_now_us() + delay + 100 * OTC_US_PER_MS;
      timer_schedule(&probes[i].timer, fired, delay + 100 * OTC_US_PER_MS);
    }
  }
  for (int i = 5; i < COUNT; i += 100) {
    timer_cancel(&probes[i].timer);
    probes[i].cancelled = true;
  }
  uv_run(&loop, UV_RUN_DEFAULT); /* returns once the wheel is empty */
  int late = 0;
  for (int i = 0; i < COUNT; i++) {
    CHECK(probes[i].fired == (probes[i].cancelled ? 0 : 1));
    late += probes[i].late;
  }
  CHECK(otc_now_us() - start >= 10500 * OTC_US_PER_MS);
  wheel_stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  printf("wheel: ok (%d of %d over %d ms late)\n", late, COUNT, (int)(LATE_OK_US / OTC_US_PER_MS));
  return 0;
}
