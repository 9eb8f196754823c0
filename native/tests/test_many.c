/* Against the real server: 1000 sessions in one process, all on the one
 * library thread: 100 rooms of 10. All connect, each learns its 9 peers,
 * all disconnect cleanly. */

#include "support.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_ROOMS 100
#define PER_ROOM 10
#define MAX_SESSIONS (MAX_ROOMS * PER_ROOM)
static int SESSIONS = MAX_SESSIONS; /* OTC_MANY_ROOMS=N runs fewer (diagnosis) */
#define WAIT_MS 60000

struct client {
  atomic_int created;
  atomic_int dropped;
  atomic_int duplicate_or_ghost;
};

static atomic_int connected;
static atomic_int disconnected;
static atomic_int errors;
static atomic_int peer_events;

static void on_connected(otc_session* s, void* user_data) {
  (void)s;
  (void)user_data;
  atomic_fetch_add(&connected, 1);
}

static void on_disconnected(otc_session* s, void* user_data) {
  (void)s;
  (void)user_data;
  atomic_fetch_add(&disconnected, 1);
}

static void on_created(otc_session* s, void* user_data, const otc_connection* c) {
  (void)s;
  struct client* client = user_data;
  if (strcmp(otc_connection_get_session_id(c), otc_session_get_id(s)) != 0) {
    atomic_fetch_add(&client->duplicate_or_ghost, 1);
  }
  atomic_fetch_add(&client->created, 1);
  atomic_fetch_add(&peer_events, 1);
}

static void on_dropped(otc_session* s, void* user_data, const otc_connection* c) {
  (void)s;
  (void)c;
  struct client* client = user_data;
  atomic_fetch_add(&client->dropped, 1);
}

static void on_error(otc_session* s, void* user_data, const char* message,
                     enum otc_session_error_code code) {
  (void)s;
  (void)user_data;
  fprintf(stderr, "on_error %d: %s\n", (int)code, message);
  atomic_fetch_add(&errors, 1);
}

static bool wait_count(atomic_int* counter, int expected, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (atomic_load(counter) < expected && atomic_load(&errors) == 0) {
    if (now_ms() > deadline) {
      return false;
    }
    sleep_ms(10); /* polling counters that 1000 sessions bump */
  }
  return atomic_load(counter) >= expected;
}

static void raise_fd_limit(void) {
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  REQUIRE(limit.rlim_cur >= (rlim_t)SESSIONS + 100, "need %d file descriptors, have %ld",
          SESSIONS + 100, (long)limit.rlim_cur);
}

int main(void) {
  if (getenv("OTC_MANY_ROOMS")) {
    int rooms = atoi(getenv("OTC_MANY_ROOMS"));
    SESSIONS = (rooms > 0 && rooms <= MAX_ROOMS ? rooms : MAX_ROOMS) * PER_ROOM;
  }
  raise_fd_limit();
  /* The server's default-like heartbeat: a cold server JVM on a small machine
   * takes a few seconds to accept 1000 WebSockets at once, and it closes a
   * socket that is silent for the heartbeat timeout even before `connect`. */
  static const char* const server_args[] = {
      "--heartbeat-interval-ms", "1000", "--heartbeat-timeout-ms", "5000",
      "--connect-rate", "100000", "--connect-burst", "100000", NULL};
  struct server server;
  server_start(&server, 0, server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  static struct client clients[MAX_SESSIONS];
  static otc_session* sessions[MAX_SESSIONS];
  otc_session_settings* settings = fast_settings(&server);
  otc_session_settings_set_heartbeat(settings, 1000, 5000); /* a loaded machine */

  int64_t start = now_ms();
  for (int i = 0; i < SESSIONS; i++) {
    char room[32], data[32];
    snprintf(room, sizeof room, "many-%d", i / PER_ROOM);
    snprintf(data, sizeof data, "client-%d", i);
    struct otc_session_callbacks callbacks = {
        .on_connected = on_connected,
        .on_disconnected = on_disconnected,
        .on_connection_created = on_created,
        .on_connection_dropped = on_dropped,
        .on_error = on_error,
        .user_data = &clients[i],
    };
    sessions[i] = otc_session_new_with_settings(TEST_API_KEY, room, &callbacks, settings);
    REQUIRE(sessions[i], "session %d", i);
    char* token = mint_token(TEST_API_KEY, TEST_SECRET, room, data, 3600);
    REQUIRE(otc_session_connect(sessions[i], token) == OTC_SUCCESS, "connect %d", i);
    free(token);
  }
  otc_session_settings_delete(settings);
  REQUIRE(wait_count(&connected, SESSIONS, WAIT_MS), "connected %d of %d, errors %d",
          atomic_load(&connected), SESSIONS, atomic_load(&errors));
  int64_t all_connected = now_ms() - start;
  REQUIRE(wait_count(&peer_events, SESSIONS * (PER_ROOM - 1), WAIT_MS), "created events %d of %d",
          atomic_load(&peer_events), SESSIONS * (PER_ROOM - 1));
  int64_t all_events = now_ms() - start;
  printf("%d sessions: all connected after %lld ms, all %d created events after %lld ms\n",
         SESSIONS, (long long)all_connected, SESSIONS * (PER_ROOM - 1), (long long)all_events);

  start = now_ms();
  for (int i = 0; i < SESSIONS; i++) {
    REQUIRE(otc_session_disconnect(sessions[i]) == OTC_SUCCESS, "disconnect %d", i);
  }
  REQUIRE(wait_count(&disconnected, SESSIONS, WAIT_MS), "disconnected %d",
          atomic_load(&disconnected));
  printf("%d sessions disconnected cleanly in %lld ms\n", SESSIONS, (long long)(now_ms() - start));
  for (int i = 0; i < SESSIONS; i++) {
    REQUIRE(otc_session_delete(sessions[i]) == OTC_SUCCESS, "delete %d", i);
    int roster = atomic_load(&clients[i].created) - atomic_load(&clients[i].dropped);
    REQUIRE(atomic_load(&clients[i].created) == PER_ROOM - 1, "client %d created %d", i,
            atomic_load(&clients[i].created));
    REQUIRE(roster >= 0 && atomic_load(&clients[i].duplicate_or_ghost) == 0, "client %d", i);
  }
  REQUIRE(atomic_load(&errors) == 0, "errors");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("max resident set: %ld MiB\n", usage.ru_maxrss / 1024);
  printf("many-sessions test passed\n");
  return 0;
}
