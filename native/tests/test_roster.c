/* Against the real server: the roster on join, created and dropped events
 * for other clients with the clientDisconnected and forceDisconnected reasons,
 * and connection-event suppression. */

#include "support.h"

#include <string.h>
#include <time.h>

#define WAIT_MS 10000

static void expect_dropped(struct recorder* r, const char* name, const char* id,
                           enum otc_connection_drop_reason reason) {
  if (!recorder_wait(r, EV_DROPPED, id, 1, WAIT_MS)) {
    recorder_dump(r, name);
    REQUIRE(false, "%s did not see %s dropped", name, id);
  }
  for (int i = 0;; i++) {
    struct event e;
    REQUIRE(recorder_get(r, EV_DROPPED, i, &e), "dropped event");
    if (strcmp(e.id, id) == 0) {
      REQUIRE(e.reason == reason, "%s saw %s dropped with %s, expected %s", name, id,
              otc_connection_drop_reason_string(e.reason),
              otc_connection_drop_reason_string(reason));
      return;
    }
  }
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  const char* room = "roster-room";
  int64_t before = (int64_t)time(NULL) * 1000 - 5000;

  struct recorder ra, rb, rc;
  recorder_init(&ra);
  recorder_init(&rb);
  recorder_init(&rc);
  otc_session* a = connect_client(&server, &ra, room, "name=ann");
  otc_session* b = connect_client(&server, &rb, room, "name=bob");
  char id_a[80], id_b[80];
  own_id(a, id_a);
  own_id(b, id_b);
  const otc_connection* self_a = otc_session_get_connection(a);
  REQUIRE(strcmp(otc_connection_get_data(self_a), "name=ann") == 0, "own data");
  REQUIRE(strcmp(otc_connection_get_session_id(self_a), room) == 0, "own session id");
  REQUIRE(otc_connection_get_creation_time(self_a) > before, "own creation time");

  /* The roster on join: C learns A and B right after on_connected. */
  otc_session* c = connect_client(&server, &rc, room, "name=cy");
  char id_c[80];
  own_id(c, id_c);
  REQUIRE(recorder_wait_roster(&rc, 2, WAIT_MS), "C's roster has A and B");
  REQUIRE(recorder_roster_has(&rc, id_a) && recorder_roster_has(&rc, id_b), "A and B");
  struct event first;
  REQUIRE(recorder_get(&rc, EV_CREATED, 0, &first), "created");
  pthread_mutex_lock(&rc.lock);
  bool connected_first = rc.events[0].kind == EV_CONNECTED;
  pthread_mutex_unlock(&rc.lock);
  REQUIRE(connected_first, "on_connected comes first");
  REQUIRE(recorder_count(&rc, EV_CREATED, id_c) == 0, "no event about itself");
  for (int i = 0; i < 2; i++) {
    struct event e;
    recorder_get(&rc, EV_CREATED, i, &e);
    const char* expected = strcmp(e.id, id_a) == 0 ? "name=ann" : "name=bob";
    REQUIRE(strcmp(e.data, expected) == 0, "data %s", e.data);
    REQUIRE(e.seq == -1, "a roster entry has no event seq (%lld)", (long long)e.seq);
  }

  /* Others see C join, A also saw B join. */
  REQUIRE(recorder_wait(&ra, EV_CREATED, id_c, 1, WAIT_MS), "A saw C");
  REQUIRE(recorder_wait(&rb, EV_CREATED, id_c, 1, WAIT_MS), "B saw C");
  REQUIRE(recorder_count(&ra, EV_CREATED, id_b) == 1, "A saw B once");
  REQUIRE(recorder_count(&rb, EV_CREATED, id_a) == 1, "B got A in its roster");

  /* A live event carries its seq, the same for every member. */
  struct event a_saw_c, b_saw_c, a_saw_b;
  REQUIRE(recorder_get(&ra, EV_CREATED, 1, &a_saw_c) && strcmp(a_saw_c.id, id_c) == 0, "A's 2nd");
  REQUIRE(recorder_get(&rb, EV_CREATED, 1, &b_saw_c) && strcmp(b_saw_c.id, id_c) == 0, "B's 2nd");
  REQUIRE(recorder_get(&ra, EV_CREATED, 0, &a_saw_b) && strcmp(a_saw_b.id, id_b) == 0, "A's 1st");
  REQUIRE(a_saw_b.seq > 0 && a_saw_c.seq > a_saw_b.seq, "seqs %lld then %lld",
          (long long)a_saw_b.seq, (long long)a_saw_c.seq);
  REQUIRE(a_saw_c.seq == b_saw_c.seq, "A and B saw C's join as seq %lld and %lld",
          (long long)a_saw_c.seq, (long long)b_saw_c.seq);

  /* clientDisconnected: B closes cleanly. */
  REQUIRE(otc_session_disconnect(b) == OTC_SUCCESS, "disconnect B");
  REQUIRE(recorder_wait(&rb, EV_DISCONNECTED, NULL, 1, WAIT_MS), "B on_disconnected");
  flush_callbacks(b, &rb); /* on_disconnected has returned */
  REQUIRE(otc_session_get_connection(b) == NULL, "no own connection after on_disconnected");
  expect_dropped(&ra, "A", id_b, OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED);
  expect_dropped(&rc, "C", id_b, OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED);

  /* forceDisconnected: the admin API removes C. */
  REQUIRE(admin_delete_connection(&server, room, id_c) == 204, "admin DELETE");
  REQUIRE(admin_delete_connection(&server, room, id_c) == 404, "second DELETE: gone");
  expect_dropped(&ra, "A", id_c, OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED);
  REQUIRE(recorder_wait(&rc, EV_DISCONNECTED, NULL, 1, WAIT_MS), "C on_disconnected");
  struct event c_end;
  recorder_get(&rc, EV_DISCONNECTED, 0, &c_end);
  REQUIRE(c_end.reason == OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED,
          "C learns it was forced out");
  REQUIRE(recorder_count(&rc, EV_RECONNECTING, NULL) == 0, "a forced client does not reconnect");

  /* Suppressed: D sees nothing; A still sees D come and go. */
  struct recorder rd;
  recorder_init(&rd);
  otc_session_settings* settings = fast_settings(&server);
  otc_session_settings_set_connection_events_suppressed(settings, OTC_TRUE);
  struct otc_session_callbacks callbacks = recorder_callbacks(&rd);
  otc_session* d = otc_session_new_with_settings(TEST_API_KEY, room, &callbacks, settings);
  otc_session_settings_delete(settings);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, room, "name=dee", 3600);
  REQUIRE(otc_session_connect(d, token) == OTC_SUCCESS, "connect D");
  free(token);
  REQUIRE(recorder_wait(&rd, EV_CONNECTED, NULL, 1, WAIT_MS), "D connected");
  char id_d[80];
  own_id(d, id_d);
  REQUIRE(recorder_wait(&ra, EV_CREATED, id_d, 1, WAIT_MS), "A saw D");
  REQUIRE(otc_session_delete(d) == OTC_SUCCESS, "delete D (connected: closes cleanly)");
  expect_dropped(&ra, "A", id_d, OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED);
  REQUIRE(recorder_count(&rd, EV_CREATED, NULL) == 0, "suppressed: no created");

  otc_session_delete(a);
  otc_session_delete(b);
  otc_session_delete(c);
  /* No callback runs after delete: the recorders are quiet now. */
  REQUIRE(ra.duplicates == 0 && ra.ghosts == 0, "A: duplicates %d ghosts %d", ra.duplicates,
          ra.ghosts);
  REQUIRE(ra.on_library_thread_only && rc.on_library_thread_only, "callback threads");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  recorder_free(&ra);
  recorder_free(&rb);
  recorder_free(&rc);
  recorder_free(&rd);
  printf("roster tests passed\n");
  return 0;
}
