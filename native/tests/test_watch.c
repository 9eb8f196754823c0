/* otc-watch against the real server: its output lines, its exit codes, and a
 * clean close frame on SIGINT/SIGTERM. */

#include "support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROOM "watch-room"
#define WAIT_MS 15000

extern char** environ;

/* Runs otc-watch with `args` to completion; returns its exit code. */
static int run_watch(const char* const* args) {
  char* argv[16] = {getenv("OTC_WATCH")};
  int argc = 1;
  for (int i = 0; args[i]; i++) {
    argv[argc++] = (char*)args[i];
  }
  argv[argc] = NULL;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  REQUIRE(posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) == 0, "spawn");
  posix_spawn_file_actions_destroy(&actions);
  int status;
  REQUIRE(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "otc-watch exit");
  return WEXITSTATUS(status);
}

static void expect_line(struct watcher* w, const char* line, const char* who) {
  char got[256];
  if (!watcher_wait_line(w, line, WAIT_MS, got, sizeof got)) {
    REQUIRE(false, "%s did not print \"%s\"", who, line);
  }
  REQUIRE(strcmp(got, line) == 0, "%s printed \"%s\", expected \"%s\"", who, got, line);
}

static void test_exit_codes(const struct server* server) {
  REQUIRE(run_watch((const char* const[]){"--help", NULL}) == 0, "--help exits 0");
  REQUIRE(run_watch((const char* const[]){NULL}) == 1, "no arguments: usage, 1");
  REQUIRE(run_watch((const char* const[]){"--bogus", NULL}) == 1, "unknown option: 1");
  REQUIRE(run_watch((const char* const[]){"--url", "nonsense", "--api-key", TEST_API_KEY,
                                          "--session", ROOM, "--token", "t", NULL}) == 1,
          "bad URL: 1");
  REQUIRE(run_watch((const char* const[]){"--url", server->url, "--api-key", TEST_API_KEY,
                                          "--session", ROOM, "--token", "rc1.bad", NULL}) == 2,
          "bad token: 2");
  REQUIRE(run_watch((const char* const[]){"--url", "ws://127.0.0.1:9/v1/ws", "--api-key",
                                          TEST_API_KEY, "--session", ROOM, "--token", "t",
                                          NULL}) == 2,
          "refused: 2");
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_exit_codes(&server);

  struct watcher w1, w2, quiet;
  watcher_start(&w1, &server, ROOM, "w1", NULL);
  expect_line(&w1, "You have connected to the session.", "w1");

  struct recorder ra;
  recorder_init(&ra);
  otc_session* a = connect_client(&server, &ra, ROOM, "a");
  expect_line(&w1, "Another client connected. 2 total.", "w1");
  REQUIRE(recorder_wait(&ra, EV_CREATED, NULL, 1, WAIT_MS), "A saw w1");
  struct event w1_event;
  recorder_get(&ra, EV_CREATED, 0, &w1_event);

  watcher_start(&w2, &server, ROOM, "w2", NULL);
  expect_line(&w2, "You have connected to the session.", "w2");
  expect_line(&w2, "Another client connected. 2 total.", "w2");
  expect_line(&w2, "Another client connected. 3 total.", "w2");
  expect_line(&w1, "Another client connected. 3 total.", "w1");

  /* --suppress: connected, then nothing about others. */
  static const char* const suppress[] = {"--suppress", NULL};
  watcher_start(&quiet, &server, ROOM, "quiet", suppress);
  expect_line(&quiet, "You have connected to the session.", "suppressed");
  expect_line(&w1, "Another client connected. 4 total.", "w1");

  REQUIRE(otc_session_disconnect(a) == OTC_SUCCESS, "A leaves");
  expect_line(&w1, "A client disconnected. 3 total. (clientDisconnected)", "w1");

  /* SIGINT and SIGTERM: exit 0 after a close frame (others: clientDisconnected). */
  REQUIRE(watcher_signal(&w2, SIGINT) == 0, "w2 exits 0 on SIGINT");
  expect_line(&w1, "A client disconnected. 2 total. (clientDisconnected)", "w1");
  /* w1 printed 2 joins and 2 leaves since the suppressed one connected. */
  REQUIRE(!watcher_wait_line(&quiet, "A", 100, NULL, 0), "suppressed printed events");
  REQUIRE(watcher_signal(&quiet, SIGTERM) == 0, "suppressed exits 0 on SIGTERM");
  expect_line(&w1, "A client disconnected. 1 total. (clientDisconnected)", "w1");

  /* Forced out through the admin API: exit 3. */
  REQUIRE(admin_delete_connection(&server, ROOM, w1_event.id) == 204, "admin DELETE w1");
  REQUIRE(watcher_wait_exit(&w1, WAIT_MS) == 3, "w1 exits 3 when forced out");

  otc_session_delete(a);
  recorder_free(&ra);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  printf("otc-watch tests passed\n");
  return 0;
}
