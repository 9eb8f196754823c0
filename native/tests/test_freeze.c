/* Against the real server with its default heartbeat (a ping a second,
 * timeout 2500 ms, silent grace 1500 ms) and libotc's default heartbeat
 * timeout (2500 ms): a client whose library thread is frozen for 2.6 or
 * 2.9 s and that then disconnects cleanly (issue 11, defect 8).
 *  - the others see clientDisconnected, not networkDisconnected: the close
 *    frame goes out on the live socket (the server revives a silent socket
 *    that speaks within its grace), and the client does not take its own
 *    backlog for a lost server;
 *  - when it joins again, its fresh roster never lists its own old ID.
 * The freeze stays within what the protocol promises: the server last heard
 * the client at its last pong, up to a ping interval (1 s) before the freeze,
 * so timeout + grace (4 s) minus 1 s leaves 3 s.
 * The observer is an otc-watch child (--ids), so that the freeze, which stops
 * every session of this process, does not stop it. */

#include "support.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define ROOM "freeze-room"

static const char* const server_args[] = {"--connect-rate", "100000", "--connect-burst",
                                          "100000", NULL};

/* The freeze: a callback of an idle session that blocks the library thread. */
static _Atomic int freeze_ms;

static void freeze_library_thread(otc_session* session, struct recorder* recorder) {
  (void)session;
  (void)recorder;
  struct timespec pause = {freeze_ms / 1000, (long)(freeze_ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

static otc_session* new_leaver(const struct server* server, struct recorder* r) {
  otc_session_settings* settings = otc_session_settings_new();
  REQUIRE(settings, "settings");
  REQUIRE(otc_session_settings_set_server_url(settings, server->url) == OTC_SUCCESS, "url");
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* session = otc_session_new_with_settings(TEST_API_KEY, ROOM, &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session, "session");
  return session;
}

static void connect_leaver(otc_session* leaver, struct recorder* r, int times) {
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, ROOM, "leaver", 3600);
  REQUIRE(otc_session_connect(leaver, token) == OTC_SUCCESS, "connect");
  free(token);
  if (!recorder_wait(r, EV_CONNECTED, NULL, times, 15000)) {
    recorder_dump(r, "leaver");
    REQUIRE(false, "leaver not connected");
  }
}

/* Reads the observer's lines until the one that starts with `prefix` and
 * names `id` (otc-watch --ids ends each line with " [ID]"). */
static void observer_line(struct watcher* observer, const char* prefix, const char* id,
                          char* line, size_t size) {
  char suffix[96];
  snprintf(suffix, sizeof suffix, " [%s]", id);
  for (;;) {
    REQUIRE(watcher_wait_line(observer, prefix, 15000, line, size), "observer: no \"%s\" for %s",
            prefix, id);
    size_t length = strlen(line);
    if (length >= strlen(suffix) && strcmp(line + length - strlen(suffix), suffix) == 0) {
      return;
    }
  }
}

/* `queued`: the application calls otc_session_disconnect during the freeze
 * (it runs as soon as the thread thaws); otherwise after the library thread
 * has looked at the silence it slept through (which must not be taken for a
 * lost server: the server's pings wait unread). */
static void test_freeze_then_leave(const struct server* server, struct watcher* observer,
                                   int ms, bool queued) {
  struct recorder lr, fr;
  recorder_init(&lr);
  recorder_init(&fr);
  otc_session* leaver = new_leaver(server, &lr);
  connect_leaver(leaver, &lr, 1);
  char old_id[80];
  own_id(leaver, old_id);
  char line[256];
  observer_line(observer, "Another client connected.", old_id, line, sizeof line);

  /* An idle session whose callback freezes the library thread. */
  fr.after_created = freeze_library_thread;
  struct otc_session_callbacks callbacks = recorder_callbacks(&fr);
  otc_session* freezer = otc_session_new(TEST_API_KEY, ROOM, &callbacks);
  REQUIRE(freezer, "freezer");
  freeze_ms = ms;
  REQUIRE(otc_session_test_inject_connection_events(freezer, 1) == OTC_SUCCESS, "inject");
  REQUIRE(recorder_wait(&fr, EV_CREATED, NULL, 1, 10000), "the freeze began");
  if (!queued) {
    /* After the thaw, a second (unfrozen) injection: once it is delivered,
     * the library thread has been through its timers, so it has looked at
     * the silence it slept through before the disconnect arrives. */
    REQUIRE(recorder_wait(&fr, EV_DROPPED, NULL, 1, 10000), "the freeze ended");
    freeze_ms = 0;
    REQUIRE(otc_session_test_inject_connection_events(freezer, 1) == OTC_SUCCESS, "inject");
    REQUIRE(recorder_wait(&fr, EV_DROPPED, NULL, 2, 10000), "a loop round after the thaw");
  }
  REQUIRE(otc_session_disconnect(leaver) == OTC_SUCCESS, "disconnect");
  REQUIRE(recorder_wait(&lr, EV_DISCONNECTED, NULL, 1, 15000), "leaver on_disconnected");
  REQUIRE(recorder_count(&lr, EV_RECONNECTING, NULL) == 0,
          "the leaver took its own backlog for a lost server");
  observer_line(observer, "A client disconnected.", old_id, line, sizeof line);
  REQUIRE(strstr(line, "(clientDisconnected)") != NULL,
          "after a %d ms freeze a clean leave reached the others as: %s", ms, line);

  /* Join again: the fresh roster has the observer, never the old self. */
  connect_leaver(leaver, &lr, 2);
  char new_id[80];
  own_id(leaver, new_id);
  REQUIRE(strcmp(new_id, old_id) != 0, "a new connection");
  REQUIRE(recorder_wait(&lr, EV_CREATED, NULL, 2, 10000), "the observer in the new roster");
  if (recorder_count(&lr, EV_CREATED, old_id) != 0) {
    recorder_dump(&lr, "leaver");
    REQUIRE(false, "the rejoined client was told of its own old ID %s", old_id);
  }
  REQUIRE(lr.ghosts == 0, "ghosts %d", lr.ghosts); /* (its roster spans both cycles) */
  observer_line(observer, "Another client connected.", new_id, line, sizeof line);
  REQUIRE(otc_session_delete(leaver) == OTC_SUCCESS, "delete");
  REQUIRE(otc_session_delete(freezer) == OTC_SUCCESS, "delete freezer");
  observer_line(observer, "A client disconnected.", new_id, line, sizeof line);
  recorder_free(&lr);
  recorder_free(&fr);
  printf("frozen %d ms, then a clean leave (%s): clientDisconnected; rejoined without its "
         "old ID\n", ms, queued ? "called during the freeze" : "called after it");
}

int main(void) {
  struct server server;
  server_start(&server, 0, server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct watcher observer;
  const char* const ids[] = {"--ids", NULL};
  watcher_start(&observer, &server, ROOM, "observer", ids);
  REQUIRE(watcher_wait_line(&observer, "You have connected", 15000, NULL, 0), "observer");

  test_freeze_then_leave(&server, &observer, 2600, true);
  test_freeze_then_leave(&server, &observer, 2900, true);
  test_freeze_then_leave(&server, &observer, 2600, false);
  test_freeze_then_leave(&server, &observer, 2900, false);

  REQUIRE(watcher_signal(&observer, SIGTERM) == 0, "observer exits cleanly");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  printf("freeze tests passed\n");
  return 0;
}
