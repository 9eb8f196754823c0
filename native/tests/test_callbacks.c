/* Against the real server: calling back into the library from callbacks.
 *  - otc_session_delete from inside on_connected: nothing more is delivered;
 *  - otc_session_disconnect from inside on_connected: on_disconnected follows;
 *  - otc_session_disconnect from inside on_connection_created;
 *  - otc_session_delete from another thread while a callback blocks: it waits,
 *    and no callback runs after it returns. */

#include "support.h"

#include <stdatomic.h>
#include <string.h>

#define ROOM "callbacks-room"

static otc_session* start(const struct server* server, struct recorder* r, const char* data) {
  otc_session_settings* settings = fast_settings(server);
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* s = otc_session_new_with_settings(TEST_API_KEY, ROOM, &callbacks, settings);
  otc_session_settings_delete(settings);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, ROOM, data, 3600);
  REQUIRE(otc_session_connect(s, token) == OTC_SUCCESS, "connect");
  free(token);
  return s;
}

static void delete_self(otc_session* s, struct recorder* r) {
  REQUIRE(otc_session_delete(s) == OTC_SUCCESS, "delete inside on_connected");
  REQUIRE(otc_session_delete(s) == OTC_ERROR_INVALID_HANDLE, "again");
  REQUIRE(otc_session_get_id(s) == NULL, "deleted handle");
  atomic_store((atomic_bool*)r->context, true);
}

static void disconnect_self(otc_session* s, struct recorder* r) {
  (void)r;
  REQUIRE(otc_session_disconnect(s) == OTC_SUCCESS, "disconnect inside callback");
  REQUIRE(otc_session_disconnect(s) == OTC_ERROR_INVALID_STATE, "disconnect twice");
}

static atomic_bool blocking;
static atomic_bool release;

static void block_in_callback(otc_session* s, struct recorder* r) {
  (void)s;
  (void)r;
  atomic_store(&blocking, true);
  while (!atomic_load(&release)) {
    sleep_ms(1);
  }
  sleep_ms(100); /* still inside when the deleting thread goes on */
  atomic_store(&blocking, false);
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct recorder observer;
  recorder_init(&observer);
  otc_session* o = connect_client(&server, &observer, ROOM, "observer");

  /* delete from inside on_connected (the roster would follow: 1 created). */
  atomic_bool deleted = false;
  struct recorder r1;
  recorder_init(&r1);
  r1.after_connected = delete_self;
  r1.context = &deleted;
  start(&server, &r1, "deleter");
  REQUIRE(recorder_wait(&r1, EV_CONNECTED, NULL, 1, 10000), "connected");
  REQUIRE(recorder_wait(&observer, EV_CREATED, NULL, 1, 10000), "observer saw it");
  REQUIRE(recorder_wait(&observer, EV_DROPPED, NULL, 1, 10000), "and saw it leave");
  struct event gone;
  recorder_get(&observer, EV_DROPPED, 0, &gone);
  REQUIRE(gone.reason == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED,
          "deleting a connected session closes it cleanly");
  REQUIRE(atomic_load(&deleted), "deleted");
  REQUIRE(recorder_count(&r1, EV_CREATED, NULL) == 0, "no callback after delete in on_connected");

  /* disconnect from inside on_connected. */
  struct recorder r2;
  recorder_init(&r2);
  r2.after_connected = disconnect_self;
  otc_session* s2 = start(&server, &r2, "disconnecter");
  REQUIRE(recorder_wait(&r2, EV_DISCONNECTED, NULL, 1, 10000), "on_disconnected follows");
  REQUIRE(recorder_count(&r2, EV_CREATED, NULL) == 0, "no connection events once disconnecting");
  REQUIRE(otc_session_delete(s2) == OTC_SUCCESS, "delete");

  /* disconnect from inside on_connection_created. */
  struct recorder r3;
  recorder_init(&r3);
  r3.after_created = disconnect_self;
  otc_session* s3 = start(&server, &r3, "created-disconnecter");
  REQUIRE(recorder_wait(&r3, EV_DISCONNECTED, NULL, 1, 10000), "on_disconnected follows");
  REQUIRE(recorder_count(&r3, EV_CREATED, NULL) == 1, "exactly one created");
  REQUIRE(otc_session_delete(s3) == OTC_SUCCESS, "delete");

  /* delete from this thread while a callback of that session blocks. */
  struct recorder r4;
  recorder_init(&r4);
  r4.after_created = block_in_callback;
  otc_session* s4 = start(&server, &r4, "blocker");
  int64_t deadline = now_ms() + 10000;
  while (!atomic_load(&blocking)) {
    REQUIRE(now_ms() < deadline, "callback never blocked");
    sleep_ms(1);
  }
  atomic_store(&release, true);
  REQUIRE(otc_session_delete(s4) == OTC_SUCCESS, "delete during the callback");
  REQUIRE(!atomic_load(&blocking), "delete returned while the callback still ran");
  int seen = recorder_count(&r4, EV_CREATED, NULL) + recorder_count(&r4, EV_DROPPED, NULL);
  /* Another client joining would reach s4 if it were still alive. */
  struct recorder r5;
  recorder_init(&r5);
  otc_session* s5 = connect_client(&server, &r5, ROOM, "late");
  REQUIRE(recorder_wait(&observer, EV_CREATED, NULL, 5, 10000), "observer saw the late one");
  REQUIRE(recorder_count(&r4, EV_CREATED, NULL) + recorder_count(&r4, EV_DROPPED, NULL) == seen,
          "a callback ran after delete returned");

  otc_session_delete(s5);
  otc_session_delete(o);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  recorder_free(&observer);
  recorder_free(&r1);
  recorder_free(&r2);
  recorder_free(&r3);
  recorder_free(&r4);
  recorder_free(&r5);
  printf("callback tests passed\n");
  return 0;
}
