/* otc_session_delete_async, without a server (callbacks come from injected
 * connection events): the deadlock that the blocking delete has when a
 * callback waits for a lock that the deleting thread holds, the handle dead
 * at once, on_deleted exactly once after the last callback, a delete from
 * inside a callback, and otc_destroy completing pending deletes.
 *
 * `test_delete_async --blocking` runs the deadlock pattern with
 * otc_session_delete instead, to show that it hangs (never run by CTest:
 * run it by hand under `timeout`). The app thread holds M and deletes; the
 * callback, on the library thread, waits for M; the blocking delete waits for
 * the callback to return: each waits for the other for ever. */

#include "support.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define WAIT_MS 10000

/* The application: its own lock M, and what its callbacks saw. */
struct app {
  pthread_mutex_t m;
  bool callbacks_take_m;
  bool delete_from_callback;
  pthread_mutex_t lock; /* guards the fields below */
  pthread_cond_t changed;
  int entered;  /* callbacks of the session begun */
  int returned; /* and returned */
  int stale_in_callback; /* otc_session_get_id() was NULL inside a callback */
  int deleted_calls;
  int returned_at_deleted; /* `returned` when on_deleted ran */
  int running_at_deleted;  /* callbacks running when on_deleted ran */
  bool deleted_on_main_thread;
  otc_session* deleted_handle;
  pthread_t main_thread;
};

static void app_init(struct app* app) {
  memset(app, 0, sizeof *app);
  pthread_mutex_init(&app->m, NULL);
  pthread_mutex_init(&app->lock, NULL);
  pthread_cond_init(&app->changed, NULL);
  app->main_thread = pthread_self();
}

static void app_free(struct app* app) {
  pthread_mutex_destroy(&app->m);
  pthread_mutex_destroy(&app->lock);
  pthread_cond_destroy(&app->changed);
}

/* Waits until *counter reaches `at_least`; false after WAIT_MS. */
static bool app_wait(struct app* app, const int* counter, int at_least) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += WAIT_MS / 1000;
  pthread_mutex_lock(&app->lock);
  int rc = 0;
  while (*counter < at_least && rc != ETIMEDOUT) {
    rc = pthread_cond_timedwait(&app->changed, &app->lock, &deadline);
  }
  bool reached = *counter >= at_least;
  pthread_mutex_unlock(&app->lock);
  return reached;
}

static int app_read(struct app* app, const int* counter) {
  pthread_mutex_lock(&app->lock);
  int value = *counter;
  pthread_mutex_unlock(&app->lock);
  return value;
}

static void on_deleted(otc_session* session, void* user_data) {
  struct app* app = user_data;
  pthread_mutex_lock(&app->lock);
  app->deleted_calls++;
  app->returned_at_deleted = app->returned;
  app->running_at_deleted = app->entered - app->returned;
  app->deleted_on_main_thread = pthread_equal(pthread_self(), app->main_thread);
  app->deleted_handle = session;
  pthread_cond_broadcast(&app->changed);
  pthread_mutex_unlock(&app->lock);
}

/* on_connection_created and _dropped: the common pattern, a callback that
 * takes the application's lock. */
static void on_connection(otc_session* session, void* user_data,
                          const otc_connection* connection) {
  (void)connection;
  struct app* app = user_data;
  pthread_mutex_lock(&app->lock);
  app->entered++;
  pthread_cond_broadcast(&app->changed);
  pthread_mutex_unlock(&app->lock);
  if (app->callbacks_take_m) {
    pthread_mutex_lock(&app->m);
    bool stale = otc_session_get_id(session) == NULL;
    pthread_mutex_unlock(&app->m);
    pthread_mutex_lock(&app->lock);
    app->stale_in_callback += stale;
    pthread_mutex_unlock(&app->lock);
  }
  if (app->delete_from_callback) {
    REQUIRE(otc_session_delete_async(session, on_deleted, app) == OTC_SUCCESS,
            "delete_async from a callback");
    REQUIRE(otc_session_get_id(session) == NULL, "handle live after delete_async");
  }
  pthread_mutex_lock(&app->lock);
  app->returned++;
  pthread_cond_broadcast(&app->changed);
  pthread_mutex_unlock(&app->lock);
}

static otc_session* app_session(struct app* app, const char* id) {
  struct otc_session_callbacks callbacks = {0};
  callbacks.on_connection_created = on_connection;
  callbacks.on_connection_dropped = on_connection;
  callbacks.user_data = app;
  otc_session* session = otc_session_new(TEST_API_KEY, id, &callbacks);
  REQUIRE(session, "new");
  return session;
}

static void require_dead(otc_session* session) {
  REQUIRE(otc_session_get_id(session) == NULL, "get_id");
  REQUIRE(otc_session_get_connection(session) == NULL, "get_connection");
  REQUIRE(otc_session_connect(session, "t") == OTC_ERROR_INVALID_HANDLE, "connect");
  REQUIRE(otc_session_disconnect(session) == OTC_ERROR_INVALID_HANDLE, "disconnect");
  REQUIRE(otc_session_test_inject_connection_events(session, 1) == OTC_ERROR_INVALID_HANDLE,
          "inject");
  REQUIRE(otc_session_delete(session) == OTC_ERROR_INVALID_HANDLE, "delete");
  REQUIRE(otc_session_delete_async(session, on_deleted, NULL) == OTC_ERROR_INVALID_HANDLE,
          "delete_async");
}

/* (1)-(3): the app thread holds M and deletes while the session's callback
 * waits for M. The async delete returns at once; the handle is dead at once
 * (also inside the running callback); no further callback begins; on_deleted
 * runs once, on the library thread, after the running callback returned. */
static void test_delete_while_callback_waits_for_our_lock(bool blocking) {
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct app app;
  app_init(&app);
  app.callbacks_take_m = true;
  otc_session* session = app_session(&app, "delete-async");
  pthread_mutex_lock(&app.m);
  /* Three created/dropped pairs: six callbacks if nothing stopped them. */
  REQUIRE(otc_session_test_inject_connection_events(session, 3) == OTC_SUCCESS, "inject");
  REQUIRE(app_wait(&app, &app.entered, 1), "no callback began");
  if (blocking) {
    printf("deleting with otc_session_delete while holding M: this hangs\n");
    fflush(stdout);
    otc_session_delete(session); /* waits for the callback, which waits for M */
    REQUIRE(false, "otc_session_delete returned while its callback waited for M");
  }
  REQUIRE(otc_session_delete_async(session, on_deleted, &app) == OTC_SUCCESS, "delete_async");
  require_dead(session);
  /* The callback is still blocked on M: the session is not gone yet. */
  REQUIRE(app_read(&app, &app.returned) == 0, "the callback returned without M");
  REQUIRE(app_read(&app, &app.deleted_calls) == 0, "on_deleted during the callback");
  pthread_mutex_unlock(&app.m);

  REQUIRE(app_wait(&app, &app.deleted_calls, 1), "on_deleted never came");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy"); /* joins the library thread */
  REQUIRE(app.deleted_calls == 1, "on_deleted %d times", app.deleted_calls);
  REQUIRE(app.entered == 1 && app.returned == 1,
          "callbacks after the delete: %d begun, %d returned", app.entered, app.returned);
  REQUIRE(app.returned_at_deleted == 1 && app.running_at_deleted == 0,
          "on_deleted before the last callback returned");
  REQUIRE(app.stale_in_callback == 1, "the handle was live inside the running callback");
  REQUIRE(!app.deleted_on_main_thread, "on_deleted on the application's thread");
  REQUIRE(app.deleted_handle == session, "on_deleted got another handle");
  app_free(&app);
  printf("delete_async while the callback waits for the deleter's lock: on_deleted once, "
         "after the callback\n");
}

/* From inside a callback: it takes effect when the callback returns. */
static void test_delete_from_callback(void) {
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct app app;
  app_init(&app);
  app.delete_from_callback = true;
  otc_session* session = app_session(&app, "delete-async-inside");
  REQUIRE(otc_session_test_inject_connection_events(session, 3) == OTC_SUCCESS, "inject");
  REQUIRE(app_wait(&app, &app.deleted_calls, 1), "on_deleted never came");
  require_dead(session);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  REQUIRE(app.deleted_calls == 1, "on_deleted %d times", app.deleted_calls);
  REQUIRE(app.entered == 1 && app.returned_at_deleted == 1 && app.running_at_deleted == 0,
          "%d callbacks, %d returned at on_deleted", app.entered, app.returned_at_deleted);
  app_free(&app);
}

/* (4) otc_destroy right after async deletes, with their callbacks still
 * queued, and racing a thread that deletes asynchronously: every delete that
 * returned OTC_SUCCESS gets its on_deleted exactly once before otc_destroy
 * returns, the others never; nothing leaks (ASan). */
#define DESTROY_SESSIONS 200

struct destroy_race {
  struct app apps[DESTROY_SESSIONS];
  otc_session* sessions[DESTROY_SESSIONS];
  otc_status status[DESTROY_SESSIONS];
};

static void* delete_async_all(void* argument) {
  struct destroy_race* race = argument;
  for (int i = DESTROY_SESSIONS - 1; i >= DESTROY_SESSIONS / 2; i--) {
    race->status[i] = otc_session_delete_async(race->sessions[i], on_deleted, &race->apps[i]);
  }
  return NULL;
}

static void test_destroy_completes_pending_deletes(void) {
  static struct destroy_race race;
  for (int round = 0; round < 3; round++) {
    REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
    for (int i = 0; i < DESTROY_SESSIONS; i++) {
      app_init(&race.apps[i]);
      race.sessions[i] = app_session(&race.apps[i], "destroy-pending");
      REQUIRE(otc_session_test_inject_connection_events(race.sessions[i], 2) == OTC_SUCCESS,
              "inject");
    }
    /* The first half deleted here, the second half by a thread racing destroy. */
    for (int i = 0; i < DESTROY_SESSIONS / 2; i++) {
      race.status[i] = otc_session_delete_async(race.sessions[i], on_deleted, &race.apps[i]);
      REQUIRE(race.status[i] == OTC_SUCCESS, "delete_async");
    }
    pthread_t deleter;
    REQUIRE(pthread_create(&deleter, NULL, delete_async_all, &race) == 0, "thread");
    REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
    pthread_join(deleter, NULL);
    int completed = 0;
    for (int i = 0; i < DESTROY_SESSIONS; i++) {
      struct app* app = &race.apps[i];
      int expected = race.status[i] == OTC_SUCCESS ? 1 : 0;
      REQUIRE(race.status[i] == OTC_SUCCESS || race.status[i] == OTC_ERROR_INVALID_HANDLE,
              "status %d", race.status[i]);
      REQUIRE(app->deleted_calls == expected, "session %d: on_deleted %d times, expected %d", i,
              app->deleted_calls, expected);
      REQUIRE(app->running_at_deleted == 0, "session %d: on_deleted during a callback", i);
      completed += app->deleted_calls;
      app_free(app);
    }
    printf("destroy round %d: %d async deletes completed by otc_destroy or before\n", round,
           completed);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--blocking") == 0) {
    test_delete_while_callback_waits_for_our_lock(true);
    return 1;
  }
  REQUIRE(otc_session_delete_async(NULL, on_deleted, NULL) == OTC_ERROR_INVALID_HANDLE, "NULL");
  test_delete_while_callback_waits_for_our_lock(false);
  test_delete_from_callback();
  test_destroy_completes_pending_deletes();
  printf("delete_async tests passed\n");
  return 0;
}
