/* Out of memory at every allocation of libotc's own (otc_test_fail_allocation):
 * connecting, adopting the roster, applying events. For each N: no crash, no
 * leak (ASan), never reported as a malformed frame (2001), and a session that
 * got connected converges on the server's roster, since an event that could
 * not be applied is never skipped (its seq is not taken) but fetched again by
 * a resume. The peers are otc-watch processes, whose allocations do not count. */

#include "support.h"

#include <signal.h>
#include <string.h>

#define ROOM "oom-room"
#define WAIT_MS 15000

static bool ended(struct recorder* r) {
  return recorder_count(r, EV_ERROR, NULL) > 0 &&
         recorder_count(r, EV_CONNECTED, NULL) == 0; /* a failed first attempt */
}

static void require_no_malformed(struct recorder* r, long n) {
  for (int i = 0; i < recorder_count(r, EV_ERROR, NULL); i++) {
    struct event error;
    recorder_get(r, EV_ERROR, i, &error);
    if (error.error_code == OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE) {
      recorder_dump(r, "oom");
      REQUIRE(false, "N=%ld: out of memory reported as a malformed frame", n);
    }
  }
}

/* Waits until the session is connected with `peers` others, or its first
 * attempt ended with on_error. True when connected. */
static bool settle(struct recorder* r, size_t peers, long n) {
  int64_t deadline = now_ms() + WAIT_MS;
  while (now_ms() < deadline) {
    if (ended(r)) {
      return false;
    }
    if (recorder_count(r, EV_CONNECTED, NULL) > 0 && recorder_wait_roster(r, peers, 0) &&
        recorder_count(r, EV_RECONNECTING, NULL) == recorder_count(r, EV_RECONNECTED, NULL)) {
      return true;
    }
    recorder_wait_roster(r, peers, 100);
  }
  recorder_dump(r, "oom");
  REQUIRE(false, "N=%ld: neither connected with %zu peers nor ended", n, peers);
  return false;
}

/* Phase 1: the N-th allocation from otc_session_new on fails. */
static void connect_with_failure(const struct server* server, long n) {
  struct recorder r;
  recorder_init(&r);
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  otc_session_settings* settings = fast_settings(server);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, ROOM, "a", 3600);
  otc_test_fail_allocation(n);
  otc_session* session = otc_session_new_with_settings(TEST_API_KEY, ROOM, &callbacks, settings);
  otc_status status = session ? otc_session_connect(session, token) : OTC_ERROR_NO_MEMORY;
  REQUIRE(status == OTC_SUCCESS || status == OTC_ERROR_NO_MEMORY, "N=%ld: connect %d", n, status);
  if (status == OTC_SUCCESS) {
    settle(&r, 2, n);
  }
  otc_test_fail_allocation(0);
  require_no_malformed(&r, n);
  if (session) {
    REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "N=%ld: delete", n);
  }
  otc_session_settings_delete(settings);
  free(token);
  recorder_free(&r);
}

/* Phase 2: connected; the N-th allocation after that fails while a peer
 * joins and leaves. The session must see both. */
static void events_with_failure(const struct server* server, long n) {
  struct recorder r;
  recorder_init(&r);
  otc_session* session = connect_client(server, &r, ROOM, "a");
  REQUIRE(recorder_wait_roster(&r, 2, WAIT_MS), "N=%ld: roster of 2", n);
  otc_test_fail_allocation(n);
  struct watcher joiner;
  watcher_start(&joiner, server, ROOM, "joiner", NULL);
  REQUIRE(watcher_wait_line(&joiner, "You have connected", WAIT_MS, NULL, 0), "joiner");
  REQUIRE(settle(&r, 3, n), "N=%ld: the joiner is never seen", n);
  REQUIRE(watcher_signal(&joiner, SIGTERM) == 0, "joiner leaves");
  REQUIRE(settle(&r, 2, n), "N=%ld: the joiner never leaves", n);
  otc_test_fail_allocation(0);
  require_no_malformed(&r, n);
  REQUIRE(r.duplicates == 0 && r.ghosts == 0, "N=%ld: duplicates %d, ghosts %d", n,
          r.duplicates, r.ghosts);
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete");
  recorder_free(&r);
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct watcher w1, w2;
  watcher_start(&w1, &server, ROOM, "w1", NULL);
  REQUIRE(watcher_wait_line(&w1, "You have connected", WAIT_MS, NULL, 0), "w1");
  watcher_start(&w2, &server, ROOM, "w2", NULL);
  REQUIRE(watcher_wait_line(&w2, "You have connected", WAIT_MS, NULL, 0), "w2");

  for (long n = 1; n <= 40; n++) {
    connect_with_failure(&server, n);
  }
  printf("connect: 40 failure points survived\n");
  for (long n = 1; n <= 6; n++) {
    events_with_failure(&server, n);
  }
  printf("events: 6 failure points survived\n");

  watcher_signal(&w1, SIGTERM);
  watcher_signal(&w2, SIGTERM);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  printf("oom tests passed\n");
  return 0;
}
