#ifndef OTC_TEST_SUPPORT_H
#define OTC_TEST_SUPPORT_H

/* Test support for the CTest programs: the real server as a child process,
 * tokens, admin calls, child clients, and an event recorder to wait on. */

#include <otc/otc.h>
#include <otc/testing.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#define TEST_API_KEY "testkey"
#define TEST_SECRET "testsecret"

/* Fails the test with a message (and exits 1). */
#define REQUIRE(cond, ...)                                                 \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: REQUIRE(%s) failed: ", __FILE__, __LINE__,   \
              #cond);                                                      \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

int64_t now_ms(void);
void sleep_ms(int ms);

/* --- the server ----------------------------------------------------------- */

struct server {
  pid_t pid;
  int port;
  char url[64];
  char port_file[128];
  char log_file[128];
  const char* extra[16];
};

/* Skips (exit 77) when OTC_SERVER_JAR is unset. `extra` are more server
 * arguments, NULL-terminated. port 0 picks a free one. */
void server_start(struct server* server, int port, const char* const* extra);
/* SIGKILL and reap. */
void server_kill(struct server* server);
/* SIGTERM and reap. */
void server_stop(struct server* server);
/* Suspends the test if the server is missing. */
void require_server_jar(void);

/* The short timeouts most tests use: server args and matching client settings. */
extern const char* const fast_server_args[];
otc_session_settings* fast_settings(const struct server* server);

/* --- tokens and admin ----------------------------------------------------- */

/* A signed rc1 token (malloc'd); ttl_seconds may be negative (expired). */
char* mint_token(const char* api_key, const char* secret, const char* session_id,
                 const char* data, int ttl_seconds);
/* DELETE /v1/admin/sessions/{session}/connections/{id}; the HTTP status. */
int admin_delete_connection(const struct server* server, const char* session_id,
                            const char* connection_id);

/* --- event recorder ------------------------------------------------------- */

enum event_kind {
  EV_CONNECTED,
  EV_RECONNECTING,
  EV_RECONNECTED,
  EV_DISCONNECTED,
  EV_CREATED,
  EV_DROPPED,
  EV_ERROR,
  EV_BATCH_BEGIN, /* only with recorder_batch_callbacks() */
  EV_BATCH_END
};

struct event {
  enum event_kind kind;
  char id[80];
  char data[80];
  enum otc_connection_drop_reason reason;
  int64_t seq; /* otc_connection_get_event_seq(): -1 for roster and reconciliation */
  int64_t epoch; /* otc_connection_get_event_epoch() */
  int error_code;
  int64_t at_ms;
};

/* Records one session's callbacks; also keeps the roster they imply and
 * counts duplicates (created twice) and ghosts (dropped unknown). */
struct recorder {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  struct event* events;
  size_t count;
  size_t capacity;
  char (*roster)[80];
  size_t roster_count;
  int duplicates;
  int ghosts;
  bool on_library_thread_only; /* false if a callback ran on the main thread */
  pthread_t main_thread;
  /* Optional hooks, called at the end of the matching callback. */
  void (*after_connected)(otc_session* session, struct recorder* recorder);
  void (*after_created)(otc_session* session, struct recorder* recorder);
  void (*after_error)(otc_session* session, struct recorder* recorder);
  void* context;
};

void recorder_init(struct recorder* recorder);
void recorder_free(struct recorder* recorder);
/* Callbacks that feed `recorder` (their user_data). */
struct otc_session_callbacks recorder_callbacks(struct recorder* recorder);
/* Sets batch callbacks that record EV_BATCH_BEGIN and EV_BATCH_END. */
void recorder_batch_callbacks(otc_session_settings* settings);

/* Number of events of `kind` (for `id` when not NULL). */
int recorder_count(struct recorder* recorder, enum event_kind kind, const char* id);
/* Waits until the count reaches `at_least`; false on timeout. */
bool recorder_wait(struct recorder* recorder, enum event_kind kind, const char* id,
                   int at_least, int timeout_ms);
/* Waits until the roster has exactly `size` entries; false on timeout. */
bool recorder_wait_roster(struct recorder* recorder, size_t size, int timeout_ms);
bool recorder_roster_has(struct recorder* recorder, const char* id);
/* A copy of event `index` of `kind` (0 = first); false if absent. */
bool recorder_get(struct recorder* recorder, enum event_kind kind, int index,
                  struct event* out);
void recorder_dump(struct recorder* recorder, const char* name);

/* --- clients -------------------------------------------------------------- */

/* A session with recorder callbacks, connected and waited for. */
otc_session* connect_client(const struct server* server, struct recorder* recorder,
                            const char* session_id, const char* data);
/* Waits until the library thread has finished every callback so far, using
 * one injected event pair on an idle session that feeds `recorder`. */
void flush_callbacks(otc_session* idle_session, struct recorder* recorder);
/* The own connection ID, copied into `out`. */
void own_id(otc_session* session, char out[80]);

/* otc-watch as a child process with its stdout on a pipe. */
struct watcher {
  pid_t pid;
  int out; /* read end of its stdout */
  char buffer[8192];
  size_t buffered;
};
void watcher_start(struct watcher* watcher, const struct server* server,
                   const char* session_id, const char* data, const char* const* extra);
/* Reads stdout lines until one starts with `prefix`; false on timeout or EOF.
 * The line is copied to `line` when not NULL. */
bool watcher_wait_line(struct watcher* watcher, const char* prefix, int timeout_ms,
                       char* line, size_t line_size);
/* Sends `signal_number` and, unless it is SIGSTOP, reaps; returns the exit
 * status (or -signal when killed by a signal). */
int watcher_signal(struct watcher* watcher, int signal_number);
/* Waits for exit; returns the exit code, -signal, or -1000 on timeout. */
int watcher_wait_exit(struct watcher* watcher, int timeout_ms);

#endif /* OTC_TEST_SUPPORT_H */
