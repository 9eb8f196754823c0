/* Handles and the library's life, without a server: stale handles after their
 * address is reused (ABA), otc_init racing otc_destroy, otc_destroy racing
 * otc_session_delete, otc_session_get_id racing a delete. */

#include "support.h"

#include <stdatomic.h>
#include <string.h>

/* Before handles had generations, a second delete of a freed session whose
 * address a new session had taken deleted the new one (96 of 100 times). */
static void test_stale_handle_after_reuse(void) {
  struct recorder r;
  recorder_init(&r);
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  for (int i = 0; i < 100; i++) {
    otc_session* old = otc_session_new(TEST_API_KEY, "aba-old", &callbacks);
    REQUIRE(old, "new old");
    REQUIRE(otc_session_delete(old) == OTC_SUCCESS, "delete old");
    otc_session* fresh = otc_session_new(TEST_API_KEY, "aba-new", &callbacks);
    REQUIRE(fresh, "new fresh");
    REQUIRE(otc_session_delete(old) == OTC_ERROR_INVALID_HANDLE,
            "round %d: a stale handle deleted another session", i);
    REQUIRE(otc_session_connect(old, "t") == OTC_ERROR_INVALID_HANDLE, "connect stale");
    REQUIRE(otc_session_get_id(old) == NULL, "get_id stale");
    REQUIRE(otc_session_test_inject_connection_events(old, 1) == OTC_ERROR_INVALID_HANDLE,
            "inject stale");
    /* The new session still works. */
    REQUIRE(otc_session_get_id(fresh) && strcmp(otc_session_get_id(fresh), "aba-new") == 0,
            "fresh id");
    flush_callbacks(fresh, &r);
    REQUIRE(otc_session_delete(fresh) == OTC_SUCCESS, "delete fresh");
  }
  recorder_free(&r);
}

/* --- otc_init racing otc_destroy ------------------------------------------ */

static atomic_int init_ok;
static atomic_int destroy_ok;

static void* init_destroy_loop(void* unused) {
  (void)unused;
  struct otc_session_callbacks callbacks = {0};
  for (int i = 0; i < 40; i++) {
    otc_status status = otc_init(NULL);
    REQUIRE(status == OTC_SUCCESS || status == OTC_ERROR_INVALID_STATE, "init: %d", status);
    if (status == OTC_SUCCESS) {
      atomic_fetch_add(&init_ok, 1);
    }
    otc_session* session = otc_session_new(TEST_API_KEY, "race", &callbacks);
    if (session) {
      otc_status deleted = otc_session_delete(session);
      REQUIRE(deleted == OTC_SUCCESS || deleted == OTC_ERROR_INVALID_HANDLE, "delete");
    }
    status = otc_destroy();
    REQUIRE(status == OTC_SUCCESS || status == OTC_ERROR_NOT_INITIALIZED, "destroy: %d", status);
    if (status == OTC_SUCCESS) {
      atomic_fetch_add(&destroy_ok, 1);
    }
  }
  return NULL;
}

/* Before the state machine, an init during a destroy had its new loop torn
 * down by the destroy (a crash, and the old loop thread leaked). */
static void test_init_races_destroy(void) {
  pthread_t threads[3];
  for (int i = 0; i < 3; i++) {
    REQUIRE(pthread_create(&threads[i], NULL, init_destroy_loop, NULL) == 0, "thread");
  }
  for (int i = 0; i < 3; i++) {
    pthread_join(threads[i], NULL);
  }
  /* Every successful init was ended by exactly one successful destroy. */
  REQUIRE(otc_destroy() == OTC_ERROR_NOT_INITIALIZED, "down at the end");
  REQUIRE(atomic_load(&init_ok) == atomic_load(&destroy_ok), "inits %d, destroys %d",
          atomic_load(&init_ok), atomic_load(&destroy_ok));
  REQUIRE(atomic_load(&init_ok) > 0, "no init succeeded");
}

/* --- otc_destroy racing otc_session_delete -------------------------------- */

#define RACE_SESSIONS 300

struct delete_race {
  otc_session* sessions[RACE_SESSIONS];
  atomic_bool go;
};

static void* delete_all(void* argument) {
  struct delete_race* race = argument;
  while (!atomic_load(&race->go)) {
  }
  for (int i = RACE_SESSIONS - 1; i >= 0; i--) {
    otc_status status = otc_session_delete(race->sessions[i]);
    REQUIRE(status == OTC_SUCCESS || status == OTC_ERROR_INVALID_HANDLE, "delete: %d", status);
  }
  return NULL;
}

/* Before, otc_destroy stopped at the first handle that a racing delete had
 * just removed and left the rest allocated (ASan reports them as leaks). */
static void test_destroy_races_deletes(void) {
  for (int round = 0; round < 5; round++) {
    REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
    struct otc_session_callbacks callbacks = {0};
    static struct delete_race race;
    atomic_store(&race.go, false);
    for (int i = 0; i < RACE_SESSIONS; i++) {
      race.sessions[i] = otc_session_new(TEST_API_KEY, "destroy-race", &callbacks);
      REQUIRE(race.sessions[i], "new");
    }
    pthread_t deleter;
    REQUIRE(pthread_create(&deleter, NULL, delete_all, &race) == 0, "thread");
    atomic_store(&race.go, true);
    REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
    pthread_join(deleter, NULL);
    for (int i = 0; i < RACE_SESSIONS; i++) {
      REQUIRE(otc_session_get_id(race.sessions[i]) == NULL, "session %d survived destroy", i);
    }
  }
}

/* --- otc_session_get_id racing a delete ----------------------------------- */

static void* get_ids(void* argument) {
  otc_session* session = argument;
  for (int i = 0; i < 20000; i++) {
    const char* id = otc_session_get_id(session);
    if (!id) {
      break;
    }
  }
  return NULL;
}

/* Before, get_id read the session after the unlock: TSan reports the race
 * with the delete's free. */
static void test_get_id_races_delete(void) {
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct otc_session_callbacks callbacks = {0};
  for (int i = 0; i < 20; i++) {
    otc_session* session = otc_session_new(TEST_API_KEY, "get-id-race", &callbacks);
    REQUIRE(session, "new");
    pthread_t reader;
    REQUIRE(pthread_create(&reader, NULL, get_ids, session) == 0, "thread");
    REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete");
    pthread_join(reader, NULL);
  }
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
}

int main(void) {
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_stale_handle_after_reuse();
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  test_init_races_destroy();
  test_destroy_races_deletes();
  test_get_id_races_delete();
  printf("lifecycle tests passed\n");
  return 0;
}
