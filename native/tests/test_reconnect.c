/* Against the real server: automatic reconnection.
 *  - a dropped socket resumes the same connection; others see nothing;
 *  - a silent (SIGSTOPped) server is detected by the client's heartbeat;
 *  - a server restart (kill -9, start on the same port): every client comes
 *    back as a new connection and reconciles: no ghost, no duplicate;
 *  - no server at all: the client gives up with on_error then on_disconnected;
 *  - a client whose loop was busy past its heartbeat timeout, while the server's
 *    pings waited unread, is not taken for cut off. */

#include "support.h"

#include <signal.h>
#include <string.h>

#define ROOM "reconnect-room"
#define WAIT_MS 15000

static void require_clean(struct recorder* r, const char* name) {
  if (r->duplicates || r->ghosts) {
    recorder_dump(r, name);
    REQUIRE(false, "%s: duplicates %d ghosts %d", name, r->duplicates, r->ghosts);
  }
}

static void wait_event(struct recorder* r, const char* name, enum event_kind kind,
                       const char* id, int count) {
  if (!recorder_wait(r, kind, id, count, WAIT_MS)) {
    recorder_dump(r, name);
    REQUIRE(false, "%s: event %d (%s) x%d missing", name, kind, id ? id : "-", count);
  }
}

static void test_resume(const struct server* server) {
  struct recorder ra, rb, rc;
  recorder_init(&ra);
  recorder_init(&rb);
  recorder_init(&rc);
  otc_session* a = connect_client(server, &ra, ROOM "-resume", "a");
  otc_session* b = connect_client(server, &rb, ROOM "-resume", "b");
  char id_b[80], id_b_after[80], id_c[80];
  own_id(b, id_b);
  wait_event(&ra, "A", EV_CREATED, id_b, 1);

  int64_t start = now_ms();
  REQUIRE(otc_session_test_drop_socket(b) == OTC_SUCCESS, "drop B's socket");
  wait_event(&rb, "B", EV_RECONNECTING, NULL, 1);
  wait_event(&rb, "B", EV_RECONNECTED, NULL, 1);
  printf("dropped socket -> resumed in %lld ms\n", (long long)(now_ms() - start));
  own_id(b, id_b_after);
  REQUIRE(strcmp(id_b, id_b_after) == 0, "resume keeps the connection ID");
  REQUIRE(recorder_count(&rb, EV_CREATED, NULL) == 1 && recorder_count(&rb, EV_DROPPED, NULL) == 0,
          "B's roster unchanged: no event on resume");

  /* C joins after B is back: A's next event must be C, with nothing about B. */
  otc_session* c = connect_client(server, &rc, ROOM "-resume", "c");
  own_id(c, id_c);
  wait_event(&ra, "A", EV_CREATED, id_c, 1);
  wait_event(&rb, "B", EV_CREATED, id_c, 1);
  REQUIRE(recorder_count(&ra, EV_DROPPED, NULL) == 0, "A saw no drop for a resumed client");
  REQUIRE(recorder_count(&ra, EV_CREATED, NULL) == 2, "A saw B and C once each");
  otc_session_delete(a);
  otc_session_delete(b);
  otc_session_delete(c);
  require_clean(&ra, "A");
  require_clean(&rb, "B");
  recorder_free(&ra);
  recorder_free(&rb);
  recorder_free(&rc);
}

static void test_silent_server(struct server* server) {
  struct recorder ra, rb;
  recorder_init(&ra);
  recorder_init(&rb);
  otc_session* a = connect_client(server, &ra, ROOM "-silent", "a");
  otc_session* b = connect_client(server, &rb, ROOM "-silent", "b");
  char id_a[80], id_b[80];
  own_id(a, id_a);
  own_id(b, id_b);
  wait_event(&ra, "A", EV_CREATED, id_b, 1);

  int64_t start = now_ms();
  kill(server->pid, SIGSTOP);
  wait_event(&ra, "A", EV_RECONNECTING, NULL, 1);
  int64_t detected = now_ms() - start;
  wait_event(&rb, "B", EV_RECONNECTING, NULL, 1);
  kill(server->pid, SIGCONT);
  printf("silent server detected after %lld ms (client timeout 1000 ms)\n", (long long)detected);
  REQUIRE(detected >= 700 && detected <= 2500, "detected after %lld ms", (long long)detected);
  wait_event(&ra, "A", EV_RECONNECTED, NULL, 1);
  wait_event(&rb, "B", EV_RECONNECTED, NULL, 1);
  /* Either resumed (same ID, nothing reported) or, if the server had expired
   * it meanwhile, reconciled as a new connection: never a ghost or duplicate. */
  REQUIRE(recorder_wait_roster(&ra, 1, WAIT_MS), "A's roster: B");
  otc_session_delete(a);
  otc_session_delete(b);
  require_clean(&ra, "A");
  require_clean(&rb, "B");
  recorder_free(&ra);
  recorder_free(&rb);
}

static void test_server_restart(struct server* server) {
  enum { CLIENTS = 3 };
  struct recorder r[CLIENTS];
  otc_session* s[CLIENTS];
  char before[CLIENTS][80], after[CLIENTS][80];
  for (int i = 0; i < CLIENTS; i++) {
    recorder_init(&r[i]);
    char data[8];
    snprintf(data, sizeof data, "c%d", i);
    s[i] = connect_client(server, &r[i], ROOM, data);
    own_id(s[i], before[i]);
  }
  for (int i = 0; i < CLIENTS; i++) {
    REQUIRE(recorder_wait_roster(&r[i], CLIENTS - 1, WAIT_MS), "full roster before");
  }

  int port = server->port;
  int64_t start = now_ms();
  server_kill(server);
  server_start(server, port, fast_server_args);
  int64_t restarted = now_ms() - start;
  for (int i = 0; i < CLIENTS; i++) {
    wait_event(&r[i], "client", EV_RECONNECTED, NULL, 1);
  }
  int64_t back = now_ms() - start;
  for (int i = 0; i < CLIENTS; i++) {
    own_id(s[i], after[i]);
    REQUIRE(strcmp(before[i], after[i]) != 0, "a restarted server forgot us: new ID");
  }
  for (int i = 0; i < CLIENTS; i++) {
    if (!recorder_wait_roster(&r[i], CLIENTS - 1, WAIT_MS)) {
      recorder_dump(&r[i], "client");
      REQUIRE(false, "roster did not converge");
    }
    for (int j = 0; j < CLIENTS; j++) {
      if (i != j) {
        REQUIRE(recorder_roster_has(&r[i], after[j]), "%d knows %d's new ID", i, j);
        REQUIRE(!recorder_roster_has(&r[i], before[j]), "%d has a ghost of %d", i, j);
        REQUIRE(recorder_count(&r[i], EV_DROPPED, before[j]) == 1, "old ID dropped once");
        REQUIRE(recorder_count(&r[i], EV_CREATED, after[j]) == 1, "new ID created once");
      }
    }
    REQUIRE(recorder_count(&r[i], EV_RECONNECTING, NULL) == 1, "one reconnection");
    REQUIRE(recorder_count(&r[i], EV_DISCONNECTED, NULL) == 0, "never disconnected");
    /* Checked before anyone leaves: a clean leave below is clientDisconnected. */
    struct event dropped;
    for (int k = 0; recorder_get(&r[i], EV_DROPPED, k, &dropped); k++) {
      REQUIRE(dropped.reason == OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED, "reason");
    }
  }
  printf("server restart: server back after %lld ms, all clients reconciled after %lld ms\n",
         (long long)restarted, (long long)back);
  for (int i = 0; i < CLIENTS; i++) {
    otc_session_delete(s[i]);
    require_clean(&r[i], "client");
    recorder_free(&r[i]);
  }
}

static void test_give_up(struct server* server) {
  struct recorder r;
  recorder_init(&r);
  otc_session_settings* settings = fast_settings(server);
  otc_session_settings_set_reconnection(settings, 50, 200, 1500);
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  otc_session* s = otc_session_new_with_settings(TEST_API_KEY, ROOM "-giveup", &callbacks, settings);
  otc_session_settings_delete(settings);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, ROOM "-giveup", "g", 3600);
  REQUIRE(otc_session_connect(s, token) == OTC_SUCCESS, "connect");
  free(token);
  wait_event(&r, "g", EV_CONNECTED, NULL, 1);

  server_kill(server);
  int64_t start = now_ms();
  wait_event(&r, "g", EV_RECONNECTING, NULL, 1);
  wait_event(&r, "g", EV_DISCONNECTED, NULL, 1);
  int64_t gave_up = now_ms() - start;
  struct event error;
  REQUIRE(recorder_get(&r, EV_ERROR, 0, &error), "on_error before on_disconnected");
  REQUIRE(error.error_code == OTC_SESSION_CONNECTION_FAILED, "code %d", error.error_code);
  printf("gave up after %lld ms (give_up_after_ms 1500): %s\n", (long long)gave_up, error.data);
  REQUIRE(gave_up >= 1400 && gave_up <= 4000, "gave up after %lld ms", (long long)gave_up);
  flush_callbacks(s, &r); /* on_disconnected has returned */
  REQUIRE(otc_session_get_connection(s) == NULL, "no own connection after on_disconnected");
  otc_session_delete(s);
  recorder_free(&r);
}

/* Blocks the library thread once, longer than the client's heartbeat timeout. */
static void block_once(otc_session* session, struct recorder* r) {
  (void)session;
  if (!r->context) {
    r->context = r;
    sleep_ms(1500);
  }
}

static void test_busy_client_is_not_silent(void) {
  /* The server pings every 100 ms and is patient; the client gives it 1 s. */
  const char* const patient_server[] = {
      "--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "10000",
      "--connect-rate", "100000", "--connect-burst", "100000", NULL};
  struct server server;
  server_start(&server, 0, patient_server);
  struct recorder ra, rb, rc;
  recorder_init(&ra);
  recorder_init(&rb);
  recorder_init(&rc);
  otc_session* a = connect_client(&server, &ra, ROOM "-busy", "a");
  ra.after_created = block_once; /* B's join blocks A's loop for 1.5 s */
  otc_session* b = connect_client(&server, &rb, ROOM "-busy", "b");
  char id_b[80], id_c[80];
  own_id(b, id_b);
  wait_event(&ra, "A", EV_CREATED, id_b, 1);
  otc_session* c = connect_client(&server, &rc, ROOM "-busy", "c");
  own_id(c, id_c);
  wait_event(&ra, "A", EV_CREATED, id_c, 1);
  REQUIRE(recorder_count(&ra, EV_RECONNECTING, NULL) == 0,
          "A's unread pings were taken for silence: it reconnected");
  otc_session_delete(a);
  otc_session_delete(b);
  otc_session_delete(c);
  require_clean(&ra, "A");
  recorder_free(&ra);
  recorder_free(&rb);
  recorder_free(&rc);
  server_stop(&server);
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_resume(&server);
  test_busy_client_is_not_silent();
  test_silent_server(&server);
  test_server_restart(&server);
  test_give_up(&server); /* kills the server */
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  printf("reconnect tests passed\n");
  return 0;
}
