/* Against the real server: other clients that vanish. An otc-watch child
 * killed with kill -9 (its kernel closes the socket) is seen dropped within
 * the closed-socket grace; one stopped with SIGSTOP (silent, socket open)
 * within the heartbeat timeout plus the silent grace. Both networkDisconnected.
 * A client that disconnects or is deleted while it reconnects leaves through a
 * resume and a close frame: clientDisconnected at once, not networkDisconnected
 * after the grace. */

#include "support.h"

#include <signal.h>
#include <string.h>
#include <time.h>

/* fast_server_args: heartbeat timeout 800 ms, grace closed 300 ms, silent 300 ms. */
#define CLOSED_GRACE_MS 300
#define HEARTBEAT_TIMEOUT_MS 800
#define SILENT_GRACE_MS 300
#define SLACK_MS 700 /* scheduling, the server's timer tick, a loaded machine */

/* Starts an otc-watch child and returns the ID the observer saw join. */
static void start_child(struct watcher* child, const struct server* server, struct recorder* r,
                        int joined_before, char id[80]) {
  watcher_start(child, server, "departure-room", "child", NULL);
  REQUIRE(watcher_wait_line(child, "You have connected", 15000, NULL, 0), "child connected");
  REQUIRE(watcher_wait_line(child, "Another client connected. 2 total.", 5000, NULL, 0),
          "child counts the observer");
  REQUIRE(recorder_wait(r, EV_CREATED, NULL, joined_before + 1, 10000), "observer saw the child");
  struct event e;
  recorder_get(r, EV_CREATED, joined_before, &e);
  snprintf(id, 80, "%s", e.id);
}

static int64_t dropped_after(struct recorder* r, const char* id, int64_t since, int timeout_ms) {
  if (!recorder_wait(r, EV_DROPPED, id, 1, timeout_ms)) {
    recorder_dump(r, "observer");
    REQUIRE(false, "%s not dropped within %d ms", id, timeout_ms);
  }
  for (int i = 0;; i++) {
    struct event e;
    REQUIRE(recorder_get(r, EV_DROPPED, i, &e), "event");
    if (strcmp(e.id, id) == 0) {
      REQUIRE(e.reason == OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED, "reason %s",
              otc_connection_drop_reason_string(e.reason));
      return e.at_ms - since;
    }
  }
}

/* How `leaver` ends while it reconnects. */
enum leave {
  LEAVE_DISCONNECT,        /* otc_session_disconnect, on_disconnected awaited, then delete */
  LEAVE_DELETE,            /* otc_session_delete alone */
  LEAVE_DISCONNECT_DELETE, /* disconnect and delete at once (the common shutdown) */
  LEAVE_DELETE_ASYNC       /* otc_session_delete_async, on_deleted awaited */
};

/* otc_session_delete_async's completions. */
static pthread_mutex_t deleted_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t deleted_changed = PTHREAD_COND_INITIALIZER;
static int deleted_calls;

static void on_deleted(otc_session* session, void* user_data) {
  (void)session;
  (void)user_data;
  pthread_mutex_lock(&deleted_lock);
  deleted_calls++;
  pthread_cond_broadcast(&deleted_changed);
  pthread_mutex_unlock(&deleted_lock);
}

static int deleted_count(void) {
  pthread_mutex_lock(&deleted_lock);
  int count = deleted_calls;
  pthread_mutex_unlock(&deleted_lock);
  return count;
}

static bool wait_deleted(int at_least, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  pthread_mutex_lock(&deleted_lock);
  while (deleted_calls < at_least && now_ms() < deadline) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 10 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&deleted_changed, &deleted_lock, &until);
  }
  bool reached = deleted_calls >= at_least;
  pthread_mutex_unlock(&deleted_lock);
  return reached;
}

static const char* leave_name(enum leave how) {
  return how == LEAVE_DISCONNECT         ? "disconnect"
         : how == LEAVE_DELETE           ? "delete"
         : how == LEAVE_DELETE_ASYNC     ? "delete_async"
                                         : "disconnect+delete";
}

/* `leaver` leaves right after losing its socket (before or after the library
 * announced the reconnection): the observer sees clientDisconnected, not
 * networkDisconnected after the grace. */
static void test_leave_while_reconnecting(const struct server* server, struct recorder* r,
                                          enum leave how, bool after_announcement) {
  struct recorder lr;
  recorder_init(&lr);
  otc_session* leaver = connect_client(server, &lr, "departure-room", "leaver");
  char id[80];
  own_id(leaver, id);
  REQUIRE(recorder_wait(r, EV_CREATED, id, 1, 10000), "observer saw the leaver");
  REQUIRE(otc_session_test_drop_socket(leaver) == OTC_SUCCESS, "drop");
  if (after_announcement) {
    REQUIRE(recorder_wait(&lr, EV_RECONNECTING, NULL, 1, 10000), "reconnecting");
  }
  if (how != LEAVE_DELETE && how != LEAVE_DELETE_ASYNC) {
    REQUIRE(otc_session_disconnect(leaver) == OTC_SUCCESS, "disconnect");
  }
  if (how == LEAVE_DISCONNECT) {
    REQUIRE(recorder_wait(&lr, EV_DISCONNECTED, NULL, 1, 10000), "leaver on_disconnected");
  }
  int deleted_before = deleted_count(); /* only this thread deletes asynchronously */
  if (how == LEAVE_DELETE_ASYNC) {
    REQUIRE(otc_session_delete_async(leaver, on_deleted, NULL) == OTC_SUCCESS, "delete_async");
    REQUIRE(otc_session_get_id(leaver) == NULL, "the handle outlived delete_async");
  } else {
    REQUIRE(otc_session_delete(leaver) == OTC_SUCCESS, "delete");
  }
  if (!recorder_wait(r, EV_DROPPED, id, 1, 10000)) {
    recorder_dump(r, "observer");
    REQUIRE(false, "the leaver was not dropped");
  }
  for (int i = 0;; i++) {
    struct event e;
    REQUIRE(recorder_get(r, EV_DROPPED, i, &e), "event");
    if (strcmp(e.id, id) == 0) {
      REQUIRE(e.reason == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED,
              "a %s while reconnecting reached the others as %s", leave_name(how),
              otc_connection_drop_reason_string(e.reason));
      break;
    }
  }
  if (how == LEAVE_DELETE_ASYNC) {
    /* The leave by resume ended: the session is freed and reported once. */
    REQUIRE(wait_deleted(deleted_before + 1, 10000), "on_deleted never came");
  }
  recorder_free(&lr); /* its callbacks' user_data: no callback runs any more */
  printf("%s while reconnecting (%s): clientDisconnected\n", leave_name(how),
         after_announcement ? "after on_reconnection_started" : "before it");
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct recorder r;
  recorder_init(&r);
  otc_session* observer = connect_client(&server, &r, "departure-room", "observer");

  struct watcher killed;
  char killed_id[80];
  start_child(&killed, &server, &r, 0, killed_id);
  int64_t start = now_ms();
  REQUIRE(watcher_signal(&killed, SIGKILL) == -SIGKILL, "kill -9");
  int64_t kill_latency = dropped_after(&r, killed_id, start, 10000);
  printf("kill -9 -> dropped (networkDisconnected): %lld ms (grace %d ms)\n",
         (long long)kill_latency, CLOSED_GRACE_MS);
  REQUIRE(kill_latency <= CLOSED_GRACE_MS + SLACK_MS, "kill -9 seen after %lld ms",
          (long long)kill_latency);

  struct watcher stopped;
  char stopped_id[80];
  start_child(&stopped, &server, &r, 1, stopped_id);
  start = now_ms();
  watcher_signal(&stopped, SIGSTOP);
  int64_t silent_latency = dropped_after(&r, stopped_id, start, 10000);
  printf("SIGSTOP -> dropped (networkDisconnected): %lld ms (timeout %d + grace %d ms)\n",
         (long long)silent_latency, HEARTBEAT_TIMEOUT_MS, SILENT_GRACE_MS);
  REQUIRE(silent_latency <= HEARTBEAT_TIMEOUT_MS + SILENT_GRACE_MS + SLACK_MS,
          "silence seen after %lld ms", (long long)silent_latency);
  REQUIRE(silent_latency >= HEARTBEAT_TIMEOUT_MS - 300, "dropped before the timeout: %lld ms",
          (long long)silent_latency);
  REQUIRE(watcher_signal(&stopped, SIGKILL) == -SIGKILL, "kill the stopped child");

  test_leave_while_reconnecting(&server, &r, LEAVE_DISCONNECT, false);
  test_leave_while_reconnecting(&server, &r, LEAVE_DISCONNECT, true);
  /* (A delete posted before the drop has run cancels the drop: it must follow
   * on_reconnection_started to find the session reconnecting.) */
  test_leave_while_reconnecting(&server, &r, LEAVE_DELETE, true);
  test_leave_while_reconnecting(&server, &r, LEAVE_DISCONNECT_DELETE, true);
  test_leave_while_reconnecting(&server, &r, LEAVE_DELETE_ASYNC, true);

  REQUIRE(otc_session_delete(observer) == OTC_SUCCESS, "delete");
  REQUIRE(r.duplicates == 0 && r.ghosts == 0, "duplicates %d ghosts %d", r.duplicates, r.ghosts);
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0, "the observer never lost its socket");

  /* otc_destroy right after deleting a session that still leaves by resume:
   * the stop waits for it or drops it (nothing leaks: ASan). */
  struct recorder lr;
  recorder_init(&lr);
  otc_session* last = connect_client(&server, &lr, "departure-room", "last");
  REQUIRE(otc_session_test_drop_socket(last) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&lr, EV_RECONNECTING, NULL, 1, 10000), "reconnecting");
  REQUIRE(otc_session_delete(last) == OTC_SUCCESS, "delete");
  /* The same with an async delete: otc_destroy completes it (on_deleted
   * once, before it returns), whether the leave ended or was dropped. */
  struct recorder lar;
  recorder_init(&lar);
  otc_session* last_async = connect_client(&server, &lar, "departure-room", "last-async");
  REQUIRE(otc_session_test_drop_socket(last_async) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&lar, EV_RECONNECTING, NULL, 1, 10000), "reconnecting");
  int deleted_before = deleted_count();
  REQUIRE(otc_session_delete_async(last_async, on_deleted, NULL) == OTC_SUCCESS, "delete_async");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  REQUIRE(deleted_count() == deleted_before + 1, "on_deleted %d times after otc_destroy",
          deleted_count() - deleted_before);
  recorder_free(&lar);
  recorder_free(&lr);
  server_stop(&server);
  recorder_free(&r);
  printf("departure tests passed\n");
  return 0;
}
