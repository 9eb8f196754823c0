/* Against the real server: tokens and session IDs it refuses. Each first
 * attempt ends with on_error (1004 or 1005) alone, and the same session can
 * then connect with a good token. */

#include "support.h"

#include <string.h>

static void expect_refused(const struct server* server, const char* session_id,
                           const char* token, int code, const char* name) {
  struct recorder r;
  recorder_init(&r);
  otc_session_settings* settings = fast_settings(server);
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  otc_session* s = otc_session_new_with_settings(TEST_API_KEY, session_id, &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(otc_session_connect(s, token) == OTC_SUCCESS, "%s: connect", name);
  if (!recorder_wait(&r, EV_ERROR, NULL, 1, 10000)) {
    recorder_dump(&r, name);
    REQUIRE(false, "%s: no on_error", name);
  }
  struct event error;
  recorder_get(&r, EV_ERROR, 0, &error);
  printf("%-22s on_error %d: %s\n", name, error.error_code, error.data);
  REQUIRE(error.error_code == code, "%s: code %d, expected %d", name, error.error_code, code);
  REQUIRE(recorder_count(&r, EV_CONNECTED, NULL) == 0, "%s: connected", name);
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0, "%s: no retry", name);
  REQUIRE(recorder_count(&r, EV_DISCONNECTED, NULL) == 0, "%s: on_error alone", name);

  if (code == OTC_SESSION_AUTHORIZATION_FAILURE && strcmp(session_id, "errors-room") == 0) {
    /* The session object is reusable: a good token now works. */
    char* good = mint_token(TEST_API_KEY, TEST_SECRET, session_id, "good", 3600);
    REQUIRE(otc_session_connect(s, good) == OTC_SUCCESS, "%s: connect again", name);
    free(good);
    REQUIRE(recorder_wait(&r, EV_CONNECTED, NULL, 1, 10000), "%s: good token connects", name);
  }
  otc_session_delete(s);
  recorder_free(&r);
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  const char* room = "errors-room";
  const int auth = OTC_SESSION_AUTHORIZATION_FAILURE;

  char* forged = mint_token(TEST_API_KEY, "not-the-secret", room, "x", 3600);
  expect_refused(&server, room, forged, auth, "forged signature");
  char* expired = mint_token(TEST_API_KEY, TEST_SECRET, room, "x", -60);
  expect_refused(&server, room, expired, auth, "expired token");
  char* other_room = mint_token(TEST_API_KEY, TEST_SECRET, "another-room", "x", 3600);
  expect_refused(&server, room, other_room, auth, "token for another room");
  char* other_app = mint_token("unknown-app", TEST_SECRET, room, "x", 3600);
  expect_refused(&server, room, other_app, auth, "unknown API key");
  expect_refused(&server, room, "rc1.garbage", auth, "malformed token");
  char* bad_session = mint_token(TEST_API_KEY, TEST_SECRET, "bad session!", "x", 3600);
  expect_refused(&server, "bad session!", bad_session, OTC_SESSION_INVALID_SESSION,
                 "malformed session ID");
  free(forged);
  free(expired);
  free(other_room);
  free(other_app);
  free(bad_session);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  printf("error tests passed\n");
  return 0;
}
