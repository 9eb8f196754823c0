/* API misuse and behaviour that needs no server: NULL everywhere, wrong
 * states, deleted handles, settings validation, logging, and callback safety
 * through the injection hook. */

#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static otc_session* new_session(const struct otc_session_callbacks* callbacks) {
  otc_session* session = otc_session_new(TEST_API_KEY, "api-test", callbacks);
  REQUIRE(session, "otc_session_new");
  return session;
}

static void test_null_everywhere(void) {
  REQUIRE(otc_session_connect(NULL, "t") == OTC_ERROR_INVALID_HANDLE, "connect NULL");
  REQUIRE(otc_session_connect(NULL, NULL) == OTC_ERROR_INVALID_HANDLE, "connect NULL NULL");
  REQUIRE(otc_session_disconnect(NULL) == OTC_ERROR_INVALID_HANDLE, "disconnect NULL");
  REQUIRE(otc_session_delete(NULL) == OTC_ERROR_INVALID_HANDLE, "delete NULL");
  REQUIRE(otc_session_get_id(NULL) == NULL, "get_id NULL");
  REQUIRE(otc_session_get_connection(NULL) == NULL, "get_connection NULL");
  REQUIRE(otc_session_test_inject_connection_events(NULL, 1) == OTC_ERROR_INVALID_HANDLE,
          "inject NULL");
  REQUIRE(otc_session_test_drop_socket(NULL) == OTC_ERROR_INVALID_HANDLE, "drop NULL");

  struct otc_session_callbacks callbacks = {0};
  REQUIRE(otc_session_new(NULL, "s", &callbacks) == NULL, "new NULL key");
  REQUIRE(otc_session_new("k", NULL, &callbacks) == NULL, "new NULL session");
  REQUIRE(otc_session_new("k", "", &callbacks) == NULL, "new empty session");
  REQUIRE(otc_session_new("k", "s", NULL) == NULL, "new NULL callbacks");
  REQUIRE(otc_session_new_with_settings("k", "s", NULL, NULL) == NULL, "with settings");

  REQUIRE(otc_session_settings_delete(NULL) == OTC_ERROR_INVALID_PARAM, "settings delete");
  REQUIRE(otc_session_settings_set_server_url(NULL, "ws://a/") == OTC_ERROR_INVALID_PARAM, "url");
  REQUIRE(otc_session_settings_set_heartbeat(NULL, 1, 2) == OTC_ERROR_INVALID_PARAM, "hb");
  REQUIRE(otc_session_settings_set_reconnection(NULL, 1, 2, 3) == OTC_ERROR_INVALID_PARAM, "rc");
  REQUIRE(otc_session_settings_set_connection_events_suppressed(NULL, OTC_TRUE) ==
              OTC_ERROR_INVALID_PARAM, "suppress");

  REQUIRE(otc_connection_get_id(NULL) == NULL, "conn id");
  REQUIRE(otc_connection_get_data(NULL) == NULL, "conn data");
  REQUIRE(otc_connection_get_session_id(NULL) == NULL, "conn session");
  REQUIRE(otc_connection_get_creation_time(NULL) == 0, "conn time");
  REQUIRE(otc_connection_get_event_seq(NULL) == -1, "conn event seq");
  REQUIRE(otc_connection_copy(NULL) == NULL, "conn copy");
  REQUIRE(otc_connection_delete(NULL) == OTC_ERROR_INVALID_PARAM, "conn delete");
  REQUIRE(otc_connection_get_drop_reason(NULL) == OTC_CONNECTION_DROP_REASON_NONE, "reason");
}

/* OpenTok's field order (Vonage's session.h): positional initializers written
 * for OpenTok bind the same callbacks. */
#define FIELD_AT(field, index) \
  _Static_assert(offsetof(struct otc_session_callbacks, field) == (index) * sizeof(void (*)(void)), \
                 #field " is not field " #index " as in OpenTok")
FIELD_AT(on_connected, 0);
FIELD_AT(on_disconnected, 1);
FIELD_AT(on_connection_created, 2);
FIELD_AT(on_connection_dropped, 3);
FIELD_AT(on_stream_received, 4);
FIELD_AT(on_signal_received, 10);
FIELD_AT(on_reconnection_started, 11);
FIELD_AT(on_reconnected, 12);
FIELD_AT(on_archive_started, 13);
FIELD_AT(on_error, 15);
FIELD_AT(user_data, 16);
FIELD_AT(reserved, 17);
_Static_assert(sizeof(struct otc_session_callbacks) == 18 * sizeof(void*), "OpenTok's size");

static void test_callbacks_struct(void) {
  struct otc_session_callbacks callbacks = {0};
  int something;
  callbacks.reserved = &something;
  REQUIRE(otc_session_new(TEST_API_KEY, "s", &callbacks) == NULL, "reserved must be NULL");
}

static void test_strings(void) {
  REQUIRE(strcmp(otc_status_string(OTC_SUCCESS), "success") == 0, "success");
  REQUIRE(strcmp(otc_status_string(OTC_ERROR_INVALID_HANDLE), "invalid handle") == 0, "handle");
  REQUIRE(otc_status_string(12345) != NULL, "unknown status");
  REQUIRE(strcmp(otc_connection_drop_reason_string(
                     OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED), "clientDisconnected") == 0,
          "client");
  REQUIRE(strcmp(otc_connection_drop_reason_string(
                     OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED), "networkDisconnected") == 0,
          "network");
  REQUIRE(strcmp(otc_connection_drop_reason_string(
                     OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED), "forceDisconnected") == 0,
          "force");
  REQUIRE(strcmp(otc_connection_drop_reason_string((enum otc_connection_drop_reason)99),
                 "none") == 0, "out of range");
}

static void test_settings_validation(void) {
  otc_session_settings* s = otc_session_settings_new();
  REQUIRE(s, "settings");
  REQUIRE(otc_session_settings_set_server_url(s, "http://127.0.0.1/") == OTC_ERROR_INVALID_PARAM,
          "http scheme");
  REQUIRE(otc_session_settings_set_server_url(s, "nonsense") == OTC_ERROR_INVALID_PARAM, "junk");
  REQUIRE(otc_session_settings_set_server_url(s, NULL) == OTC_ERROR_INVALID_PARAM, "NULL url");
  REQUIRE(otc_session_settings_set_server_url(s, "wss://example.com/v1/ws") == OTC_SUCCESS, "wss");
  REQUIRE(otc_session_settings_set_server_url(s, "ws://127.0.0.1:9/v1/ws") == OTC_SUCCESS, "ws");
  REQUIRE(otc_session_settings_set_heartbeat(s, 0, 10) == OTC_ERROR_INVALID_PARAM, "interval 0");
  REQUIRE(otc_session_settings_set_heartbeat(s, 100, 100) == OTC_ERROR_INVALID_PARAM, "equal");
  REQUIRE(otc_session_settings_set_heartbeat(s, 100, 300) == OTC_SUCCESS, "heartbeat");
  REQUIRE(otc_session_settings_set_reconnection(s, 0, 10, 10) == OTC_ERROR_INVALID_PARAM, "0");
  REQUIRE(otc_session_settings_set_reconnection(s, 10, 5, 10) == OTC_ERROR_INVALID_PARAM, "max");
  REQUIRE(otc_session_settings_set_reconnection(s, 10, 50, -1) == OTC_ERROR_INVALID_PARAM, "neg");
  REQUIRE(otc_session_settings_set_reconnection(s, 10, 50, 0) == OTC_SUCCESS, "never give up");
  REQUIRE(otc_session_settings_set_connection_events_suppressed(s, OTC_TRUE) == OTC_SUCCESS, "s");
  REQUIRE(otc_session_settings_delete(s) == OTC_SUCCESS, "delete");
}

static void test_not_initialized(void) {
  struct otc_session_callbacks callbacks = {0};
  REQUIRE(otc_session_new(TEST_API_KEY, "s", &callbacks) == NULL, "new before init");
  REQUIRE(otc_destroy() == OTC_ERROR_NOT_INITIALIZED, "destroy before init");
  REQUIRE(otc_init((void*)1) == OTC_ERROR_INVALID_PARAM, "reserved must be NULL");
}

static void test_handles_and_states(void) {
  struct recorder r;
  recorder_init(&r);
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  otc_session* session = new_session(&callbacks);
  REQUIRE(strcmp(otc_session_get_id(session), "api-test") == 0, "get_id");
  REQUIRE(otc_session_get_connection(session) == NULL, "no own connection before connecting");
  REQUIRE(otc_session_disconnect(session) == OTC_ERROR_INVALID_STATE, "disconnect idle");
  REQUIRE(otc_session_test_drop_socket(session) == OTC_ERROR_INVALID_STATE, "drop idle");
  REQUIRE(otc_session_connect(session, NULL) == OTC_ERROR_INVALID_PARAM, "NULL token");
  REQUIRE(otc_session_connect(session, "") == OTC_ERROR_INVALID_PARAM, "empty token");
  REQUIRE(otc_session_test_inject_connection_events(session, -1) == OTC_ERROR_INVALID_PARAM, "-1");

  /* Nothing listens on port 9 of loopback: the attempt fails with on_error. */
  otc_session_settings* settings = otc_session_settings_new();
  otc_session_settings_set_server_url(settings, "ws://127.0.0.1:9/v1/ws");
  otc_session* refused = otc_session_new_with_settings(TEST_API_KEY, "s", &callbacks, settings);
  REQUIRE(otc_session_connect(refused, "token") == OTC_SUCCESS, "connect");
  REQUIRE(recorder_wait(&r, EV_ERROR, NULL, 1, 10000), "on_error for a refused connection");
  struct event error;
  recorder_get(&r, EV_ERROR, 0, &error);
  REQUIRE(error.error_code == OTC_SESSION_CONNECTION_FAILED, "code %d", error.error_code);
  REQUIRE(recorder_count(&r, EV_CONNECTED, NULL) == 0, "never connected");
  flush_callbacks(session, &r);
  REQUIRE(recorder_count(&r, EV_DISCONNECTED, NULL) == 0, "a failed first attempt: on_error only");

  /* A listener that never answers: the attempt stays pending (10 s). */
  int black_hole = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  REQUIRE(bind(black_hole, (struct sockaddr*)&address, length) == 0 && listen(black_hole, 8) == 0 &&
              getsockname(black_hole, (struct sockaddr*)&address, &length) == 0, "listener");
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", ntohs(address.sin_port));
  otc_session_settings_set_server_url(settings, url);
  otc_session* pending = otc_session_new_with_settings(TEST_API_KEY, "s", &callbacks, settings);
  otc_session_settings_delete(settings); /* sessions keep their own copy */
  REQUIRE(otc_session_connect(pending, "token") == OTC_SUCCESS, "connect");
  REQUIRE(otc_session_connect(pending, "token") == OTC_ERROR_INVALID_STATE, "connect twice");
  REQUIRE(otc_session_test_inject_connection_events(pending, 1) == OTC_ERROR_INVALID_STATE,
          "inject while connecting");
  REQUIRE(otc_session_disconnect(pending) == OTC_SUCCESS, "disconnect while connecting");
  REQUIRE(otc_session_disconnect(pending) == OTC_ERROR_INVALID_STATE, "disconnect twice");
  REQUIRE(recorder_wait(&r, EV_DISCONNECTED, NULL, 1, 10000), "on_disconnected after disconnect");
  REQUIRE(otc_session_delete(pending) == OTC_SUCCESS, "delete");
  close(black_hole);

  /* After the failed attempt the first session may connect again. */
  REQUIRE(otc_session_connect(refused, "token") == OTC_SUCCESS, "connect again");
  REQUIRE(recorder_wait(&r, EV_ERROR, NULL, 2, 10000), "fails again");

  REQUIRE(otc_session_delete(refused) == OTC_SUCCESS, "delete");
  REQUIRE(otc_session_delete(refused) == OTC_ERROR_INVALID_HANDLE, "double delete");
  REQUIRE(otc_session_connect(refused, "t") == OTC_ERROR_INVALID_HANDLE, "connect deleted");
  REQUIRE(otc_session_disconnect(refused) == OTC_ERROR_INVALID_HANDLE, "disconnect deleted");
  REQUIRE(otc_session_get_id(refused) == NULL, "id of deleted");
  REQUIRE(otc_session_get_connection(refused) == NULL, "connection of deleted");
  REQUIRE(otc_session_delete((otc_session*)&r) == OTC_ERROR_INVALID_HANDLE, "foreign pointer");
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete idle");
  REQUIRE(r.on_library_thread_only, "callbacks ran on the caller's thread");
  recorder_free(&r);
}

/* --- injection: callbacks, copies, delete from inside and during ----------- */

struct inject_state {
  atomic_int created;
  atomic_int dropped;
  atomic_int after_delete;
  atomic_bool deleted;
  atomic_bool in_callback;
  int delete_after; /* delete from inside the callback at this count */
  otc_connection* copy;
  int sleep_ms;
};

static void inject_created(otc_session* session, void* user_data, const otc_connection* c) {
  struct inject_state* state = user_data;
  atomic_store(&state->in_callback, true);
  if (atomic_load(&state->deleted)) {
    atomic_fetch_add(&state->after_delete, 1);
  }
  int n = atomic_fetch_add(&state->created, 1) + 1;
  REQUIRE(strncmp(otc_connection_get_id(c), "inject-", 7) == 0, "id");
  REQUIRE(strcmp(otc_connection_get_session_id(c), "api-test") == 0, "session id");
  if (n == 1) {
    state->copy = otc_connection_copy(c);
    REQUIRE(otc_connection_delete((otc_connection*)c) == OTC_ERROR_INVALID_HANDLE,
            "deleting a library-owned connection is refused");
  }
  if (n == state->delete_after) {
    REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete inside callback");
    REQUIRE(otc_session_delete(session) == OTC_ERROR_INVALID_HANDLE, "second delete inside");
    atomic_store(&state->deleted, true);
  }
  if (state->sleep_ms) {
    sleep_ms(state->sleep_ms);
  }
  atomic_store(&state->in_callback, false);
}

static void inject_dropped(otc_session* session, void* user_data, const otc_connection* c) {
  (void)session;
  struct inject_state* state = user_data;
  if (atomic_load(&state->deleted)) {
    atomic_fetch_add(&state->after_delete, 1);
  }
  REQUIRE(otc_connection_get_drop_reason(c) == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED,
          "reason");
  atomic_fetch_add(&state->dropped, 1);
}

static struct otc_session_callbacks inject_callbacks(struct inject_state* state) {
  struct otc_session_callbacks callbacks = {
      .on_connection_created = inject_created,
      .on_connection_dropped = inject_dropped,
      .user_data = state,
  };
  return callbacks;
}

static bool wait_atomic(atomic_int* value, int expected, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (atomic_load(value) < expected) {
    if (now_ms() > deadline) {
      return false;
    }
    sleep_ms(1); /* polling a counter the library thread bumps */
  }
  return true;
}

static void test_inject(void) {
  struct inject_state state = {0};
  struct otc_session_callbacks callbacks = inject_callbacks(&state);
  otc_session* session = new_session(&callbacks);
  REQUIRE(otc_session_test_inject_connection_events(session, 1000) == OTC_SUCCESS, "inject");
  REQUIRE(wait_atomic(&state.dropped, 1000, 10000), "1000 pairs delivered");
  REQUIRE(atomic_load(&state.created) == 1000, "created %d", atomic_load(&state.created));
  REQUIRE(state.copy, "copy");
  REQUIRE(strcmp(otc_connection_get_id(state.copy), "inject-0") == 0, "copy id");
  REQUIRE(strcmp(otc_connection_get_session_id(state.copy), "api-test") == 0, "copy session");
  REQUIRE(otc_connection_get_creation_time(state.copy) > 1600000000000LL, "creation time");
  REQUIRE(otc_connection_delete(state.copy) == OTC_SUCCESS, "delete copy");
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete");
}

static void test_delete_inside_callback(void) {
  struct inject_state state = {.delete_after = 3};
  struct otc_session_callbacks callbacks = inject_callbacks(&state);
  otc_session* session = new_session(&callbacks);
  REQUIRE(otc_session_test_inject_connection_events(session, 100) == OTC_SUCCESS, "inject");
  REQUIRE(wait_atomic(&state.created, 3, 10000), "3 created");
  /* Flush the library thread: a new session's events come after the delete. */
  struct inject_state marker = {0};
  struct otc_session_callbacks marker_callbacks = inject_callbacks(&marker);
  otc_session* other = new_session(&marker_callbacks);
  REQUIRE(otc_session_test_inject_connection_events(other, 1) == OTC_SUCCESS, "inject other");
  REQUIRE(wait_atomic(&marker.dropped, 1, 10000), "other delivered");
  REQUIRE(atomic_load(&state.created) == 3, "no created after delete: %d",
          atomic_load(&state.created));
  REQUIRE(atomic_load(&state.after_delete) == 0, "no callback after delete");
  REQUIRE(otc_session_delete(session) == OTC_ERROR_INVALID_HANDLE, "already deleted");
  if (marker.copy) {
    otc_connection_delete(marker.copy);
  }
  if (state.copy) {
    otc_connection_delete(state.copy);
  }
  otc_session_delete(other);
}

static void test_delete_while_callback_runs(void) {
  struct inject_state state = {.sleep_ms = 200};
  struct otc_session_callbacks callbacks = inject_callbacks(&state);
  otc_session* session = new_session(&callbacks);
  REQUIRE(otc_session_test_inject_connection_events(session, 50) == OTC_SUCCESS, "inject");
  int64_t deadline = now_ms() + 10000;
  while (!atomic_load(&state.in_callback)) {
    REQUIRE(now_ms() < deadline, "callback never started");
    sleep_ms(1);
  }
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete during a callback");
  /* delete waited for the callback: none is running and none may start. */
  REQUIRE(!atomic_load(&state.in_callback), "delete returned while a callback ran");
  int created = atomic_load(&state.created);
  int dropped = atomic_load(&state.dropped);
  sleep_ms(300); /* asserting an absence: give a wrong callback time to happen */
  REQUIRE(atomic_load(&state.created) == created && atomic_load(&state.dropped) == dropped,
          "a callback ran after delete returned");
  if (state.copy) {
    otc_connection_delete(state.copy);
  }
}

/* --- logging --------------------------------------------------------------- */

static atomic_int log_lines;
static atomic_int plain_lines;

static void level_logger(enum otc_log_level level, const char* message, void* user_data) {
  REQUIRE(user_data == &log_lines, "log user data");
  REQUIRE(level >= OTC_LOG_LEVEL_ERROR && level <= OTC_LOG_LEVEL_TRACE, "level %d", level);
  REQUIRE(message && message[0], "message");
  atomic_fetch_add(&log_lines, 1);
}

static void plain_logger(const char* message) {
  REQUIRE(message, "message");
  atomic_fetch_add(&plain_lines, 1);
}

static void test_logging(void) {
  struct otc_session_callbacks callbacks = {0};
  otc_log_set_callback(level_logger, &log_lines);
  otc_log_enable(OTC_LOG_LEVEL_ALL);
  REQUIRE(otc_session_new(NULL, "s", &callbacks) == NULL, "misuse logs");
  REQUIRE(atomic_load(&log_lines) >= 1, "leveled logger called");
  otc_log_set_logger_callback(plain_logger);
  REQUIRE(otc_session_new(NULL, "s", &callbacks) == NULL, "misuse logs");
  REQUIRE(atomic_load(&plain_lines) >= 1, "plain logger called");
  otc_log_enable(OTC_LOG_LEVEL_DISABLED);
  int before = atomic_load(&plain_lines);
  REQUIRE(otc_session_new(NULL, "s", &callbacks) == NULL, "misuse");
  REQUIRE(atomic_load(&plain_lines) == before, "disabled logging is silent");
  otc_log_set_callback(NULL, NULL);
  otc_log_enable(OTC_LOG_LEVEL_ERROR);
}

/* OTC_SERVER_URL names the server when the application set none. */
static void test_server_url_from_environment(void) {
  struct otc_session_callbacks callbacks = {0};
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  REQUIRE(bind(listener, (struct sockaddr*)&address, length) == 0 && listen(listener, 8) == 0 &&
              getsockname(listener, (struct sockaddr*)&address, &length) == 0, "listener");
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", ntohs(address.sin_port));

  REQUIRE(setenv("OTC_SERVER_URL", "not a url", 1) == 0, "setenv");
  REQUIRE(otc_session_new(TEST_API_KEY, "env", &callbacks) == NULL, "a bad OTC_SERVER_URL fails");
  otc_session_settings* settings = otc_session_settings_new();
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  otc_session* explicit_url = otc_session_new_with_settings(TEST_API_KEY, "env", &callbacks,
                                                            settings);
  REQUIRE(explicit_url, "an application's URL wins over OTC_SERVER_URL");
  otc_session_settings_delete(settings);
  REQUIRE(otc_session_delete(explicit_url) == OTC_SUCCESS, "delete");

  REQUIRE(setenv("OTC_SERVER_URL", url, 1) == 0, "setenv");
  otc_session* session = otc_session_new(TEST_API_KEY, "env", &callbacks);
  REQUIRE(session && otc_session_connect(session, "token") == OTC_SUCCESS, "connect");
  struct timeval timeout = {.tv_sec = 10};
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int accepted = accept(listener, NULL, NULL);
  REQUIRE(accepted >= 0, "the session did not connect to OTC_SERVER_URL");
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete");
  unsetenv("OTC_SERVER_URL");
  close(accepted);
  close(listener);
}

int main(void) {
  test_null_everywhere();
  test_strings();
  test_settings_validation();
  test_not_initialized();
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  REQUIRE(otc_init(NULL) == OTC_ERROR_INVALID_STATE, "init twice");
  test_callbacks_struct();
  test_server_url_from_environment();
  test_handles_and_states();
  test_inject();
  test_delete_inside_callback();
  test_delete_while_callback_runs();
  test_logging();
  /* otc_destroy deletes what is left; handles die with it. */
  struct otc_session_callbacks callbacks = {0};
  otc_session* leftover = new_session(&callbacks);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  REQUIRE(otc_session_delete(leftover) == OTC_ERROR_INVALID_HANDLE, "handle after destroy");
  REQUIRE(otc_destroy() == OTC_ERROR_NOT_INITIALIZED, "destroy twice");
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init again");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy again");
  printf("api tests passed\n");
  return 0;
}
