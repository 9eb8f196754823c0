
#include "support.h"

#include <cjson/cJSON.h>
#include <otc/testing.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
  struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
  }
}

/* The admin API has its own secret; the token-signing secret is no admin credential. */
#define TEST_ADMIN_SECRET "testadminsecret"

/* --- processes ------------------------------------------------------------ */

/* Spawns argv with stdout to `stdout_fd` (or the log file) and stderr to the log. */
static pid_t spawn(char* const argv[], int stdout_fd, const char* log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (log_file) {
    posix_spawn_file_actions_addopen(&actions, 2, log_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (stdout_fd < 0) {
      posix_spawn_file_actions_adddup2(&actions, 2, 1);
    }
  }
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  }
  pid_t pid = -1;
  int error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(error == 0, "cannot spawn %s: %s", argv[0], strerror(error));
  return pid;
}

/* Exit code, -signal, or -1000 when it is still running after timeout_ms. */
static int reap(pid_t pid, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    int status;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (done < 0 || now_ms() >= deadline) {
      return -1000;
    }
    sleep_ms(5); /* no portable way to wait on a child with a timeout */
  }
}

/* --- the server ----------------------------------------------------------- */

const char* const fast_server_args[] = {
    "--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "800",
    "--grace-closed-ms", "300", "--grace-silent-ms", "300",
    "--connect-rate", "100000", "--connect-burst", "100000", NULL,
};

otc_session_settings* fast_settings(const struct server* server) {
  otc_session_settings* settings = otc_session_settings_new();
  REQUIRE(settings, "settings");
  REQUIRE(otc_session_settings_set_server_url(settings, server->url) == OTC_SUCCESS, "url");
  REQUIRE(otc_session_settings_set_heartbeat(settings, 200, 1000) == OTC_SUCCESS, "heartbeat");
  REQUIRE(otc_session_settings_set_reconnection(settings, 100, 1000, 20000) == OTC_SUCCESS,
          "reconnection");
  return settings;
}

void require_server_jar(void) {
  const char* jar = getenv("OTC_SERVER_JAR");
  if (!jar || access(jar, R_OK) != 0) {
    fprintf(stderr, "OTC_SERVER_JAR not set or unreadable: skipped\n");
    exit(77);
  }
}

static int read_port_file(const char* path) {
  FILE* file = fopen(path, "r");
  int port = 0;
  if (file) {
    if (fscanf(file, "%d", &port) != 1) {
      port = 0;
    }
    fclose(file);
  }
  return port;
}

static void dump_file(const char* path) {
  FILE* file = fopen(path, "r");
  char line[512];
  while (file && fgets(line, sizeof line, file)) {
    fputs(line, stderr);
  }
  if (file) {
    fclose(file);
  }
}

/* Servers still running, killed when the test exits early (a failed REQUIRE). */
static pid_t running_servers[8];

static void kill_running_servers(void) {
  for (size_t i = 0; i < sizeof running_servers / sizeof running_servers[0]; i++) {
    if (running_servers[i] > 0) {
      kill(running_servers[i], SIGKILL);
      reap(running_servers[i], 5000);
      running_servers[i] = 0;
    }
  }
}

static void track_server(pid_t pid, bool running) {
  static bool registered;
  if (!registered) {
    atexit(kill_running_servers);
    registered = true;
  }
  for (size_t i = 0; i < sizeof running_servers / sizeof running_servers[0]; i++) {
    if (running ? running_servers[i] == 0 : running_servers[i] == pid) {
      running_servers[i] = running ? pid : 0;
      return;
    }
  }
}

void server_start(struct server* server, int port, const char* const* extra) {
  require_server_jar();
  static int started;
  snprintf(server->port_file, sizeof server->port_file, "/tmp/otc-test-%d-%d.port",
           (int)getpid(), started);
  snprintf(server->log_file, sizeof server->log_file, "/tmp/otc-test-%d-%d.log",
           (int)getpid(), started++);
  unlink(server->port_file);
  char port_text[16];
  snprintf(port_text, sizeof port_text, "%d", port);
  /* setpriv: the server dies with this test even if the test crashes. */
  char* argv[64] = {"setpriv", "--pdeathsig", "KILL", "--",
                    "java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar",
                    getenv("OTC_SERVER_JAR"), "serve", "--host", "127.0.0.1",
                    "--port", port_text, "--port-file", server->port_file,
                    "--app", TEST_API_KEY ":" TEST_SECRET,
                    "--admin-secret", TEST_API_KEY ":" TEST_ADMIN_SECRET};
  int argc = 20;
  for (int i = 0; extra && extra[i] && argc < 62; i++) {
    argv[argc++] = (char*)extra[i];
  }
  argv[argc] = NULL;
  server->pid = spawn(argv, -1, server->log_file);
  track_server(server->pid, true);
  int64_t deadline = now_ms() + 60000;
  while ((server->port = read_port_file(server->port_file)) == 0) {
    int status;
    if (waitpid(server->pid, &status, WNOHANG) == server->pid) {
      dump_file(server->log_file);
      REQUIRE(false, "the server exited before listening");
    }
    REQUIRE(now_ms() < deadline, "the server did not start within 60 s");
    sleep_ms(20); /* polling a file: nothing to wait on */
  }
  snprintf(server->url, sizeof server->url, "ws://127.0.0.1:%d/v1/ws", server->port);
}

void server_kill(struct server* server) {
  kill(server->pid, SIGKILL);
  reap(server->pid, 10000);
  track_server(server->pid, false);
  unlink(server->port_file);
  unlink(server->log_file);
}

void server_stop(struct server* server) {
  kill(server->pid, SIGTERM);
  if (reap(server->pid, 10000) == -1000) {
    server_kill(server);
  }
  track_server(server->pid, false);
  unlink(server->port_file);
  unlink(server->log_file);
}

/* --- tokens and admin ----------------------------------------------------- */

static char* base64url(const unsigned char* data, size_t length) {
  char* text = malloc(4 * ((length + 2) / 3) + 1);
  REQUIRE(text, "memory");
  int written = EVP_EncodeBlock((unsigned char*)text, data, (int)length);
  while (written > 0 && text[written - 1] == '=') {
    written--;
  }
  text[written] = '\0';
  for (char* p = text; *p; p++) {
    if (*p == '+') {
      *p = '-';
    } else if (*p == '/') {
      *p = '_';
    }
  }
  return text;
}

char* mint_token(const char* api_key, const char* secret, const char* session_id,
                 const char* data, int ttl_seconds) {
  unsigned char nonce_bytes[12];
  RAND_bytes(nonce_bytes, sizeof nonce_bytes);
  char* nonce = base64url(nonce_bytes, sizeof nonce_bytes);
  int64_t now = (int64_t)time(NULL);
  cJSON* payload = cJSON_CreateObject();
  cJSON_AddStringToObject(payload, "apiKey", api_key);
  cJSON_AddStringToObject(payload, "sessionId", session_id);
  cJSON_AddStringToObject(payload, "role", "publisher");
  cJSON_AddNumberToObject(payload, "iat", (double)(ttl_seconds < 0 ? now + 2 * ttl_seconds : now));
  cJSON_AddNumberToObject(payload, "exp", (double)(now + ttl_seconds));
  cJSON_AddStringToObject(payload, "nonce", nonce);
  cJSON_AddStringToObject(payload, "data", data ? data : "");
  char* json = cJSON_PrintUnformatted(payload);
  cJSON_Delete(payload);
  free(nonce);

  char* encoded = base64url((const unsigned char*)json, strlen(json));
  cJSON_free(json);
  size_t signed_size = strlen(encoded) + 5;
  char* signed_part = malloc(signed_size);
  snprintf(signed_part, signed_size, "rc1.%s", encoded);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char*)signed_part,
       strlen(signed_part), mac, &mac_length);
  char* signature = base64url(mac, mac_length);
  size_t token_size = strlen(signed_part) + strlen(signature) + 2;
  char* token = malloc(token_size);
  snprintf(token, token_size, "%s.%s", signed_part, signature);
  free(encoded);
  free(signed_part);
  free(signature);
  return token;
}

int admin_delete_connection(const struct server* server, const char* session_id,
                            const char* connection_id) {
  char url[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/admin/sessions/%s/connections/%s",
           server->port, session_id, connection_id);
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
  char* argv[] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                  "-u", TEST_API_KEY ":" TEST_ADMIN_SECRET, url, NULL};
  pid_t pid = spawn(argv, fds[1], NULL);
  close(fds[1]);
  char text[16] = {0};
  ssize_t got = read(fds[0], text, sizeof text - 1);
  close(fds[0]);
  REQUIRE(reap(pid, 10000) == 0 && got > 0, "curl failed");
  return atoi(text);
}

/* --- event recorder ------------------------------------------------------- */

void recorder_init(struct recorder* recorder) {
  memset(recorder, 0, sizeof *recorder);
  pthread_mutex_init(&recorder->lock, NULL);
  pthread_cond_init(&recorder->changed, NULL);
  recorder->on_library_thread_only = true;
  recorder->main_thread = pthread_self();
}

void recorder_free(struct recorder* recorder) {
  free(recorder->events);
  free(recorder->roster);
  pthread_mutex_destroy(&recorder->lock);
  pthread_cond_destroy(&recorder->changed);
}

static void roster_apply_locked(struct recorder* r, enum event_kind kind, const char* id) {
  size_t at = r->roster_count;
  for (size_t i = 0; i < r->roster_count; i++) {
    if (strcmp(r->roster[i], id) == 0) {
      at = i;
    }
  }
  if (kind == EV_CREATED) {
    if (at < r->roster_count) {
      r->duplicates++;
      return;
    }
    r->roster = realloc(r->roster, (r->roster_count + 1) * sizeof *r->roster);
    snprintf(r->roster[r->roster_count++], 80, "%s", id);
  } else if (at == r->roster_count) {
    r->ghosts++;
  } else {
    memmove(r->roster[at], r->roster[r->roster_count - 1], 80);
    r->roster_count--;
  }
}

static void record_event(struct recorder* r, struct event event);

static void record(struct recorder* r, enum event_kind kind, const otc_connection* c,
                   int error_code, const char* message) {
  struct event event = {.kind = kind, .error_code = error_code, .at_ms = now_ms()};
  if (c) {
    snprintf(event.id, sizeof event.id, "%s", otc_connection_get_id(c));
    snprintf(event.data, sizeof event.data, "%s", otc_connection_get_data(c));
    event.reason = otc_connection_get_drop_reason(c);
    event.seq = otc_connection_get_event_seq(c);
    event.epoch = otc_connection_get_event_epoch(c);
  } else if (message) {
    snprintf(event.data, sizeof event.data, "%s", message);
  }
  record_event(r, event);
}

static void record_reason(struct recorder* r, enum event_kind kind,
                          enum otc_connection_drop_reason reason) {
  struct event event = {.kind = kind, .reason = reason, .at_ms = now_ms()};
  record_event(r, event);
}

static void record_event(struct recorder* r, struct event event) {
  enum event_kind kind = event.kind;
  pthread_mutex_lock(&r->lock);
  if (pthread_equal(pthread_self(), r->main_thread)) {
    r->on_library_thread_only = false;
  }
  if (r->count == r->capacity) {
    r->capacity = r->capacity ? r->capacity * 2 : 64;
    r->events = realloc(r->events, r->capacity * sizeof *r->events);
  }
  r->events[r->count++] = event;
  if (kind == EV_CREATED || kind == EV_DROPPED) {
    roster_apply_locked(r, kind, event.id);
  }
  pthread_cond_broadcast(&r->changed);
  pthread_mutex_unlock(&r->lock);
}

static void on_connected(otc_session* s, void* user_data) {
  struct recorder* r = user_data;
  record(r, EV_CONNECTED, NULL, 0, NULL);
  if (r->after_connected) {
    r->after_connected(s, r);
  }
}

static void on_reconnection_started(otc_session* s, void* user_data) {
  (void)s;
  record(user_data, EV_RECONNECTING, NULL, 0, NULL);
}

static void on_reconnected(otc_session* s, void* user_data) {
  (void)s;
  record(user_data, EV_RECONNECTED, NULL, 0, NULL);
}

static void on_disconnected(otc_session* s, void* user_data) {
  /* The event keeps the own connection's drop reason; recorded whole, since a
   * waiting test may read it as soon as it is there. */
  record_reason(user_data, EV_DISCONNECTED,
                otc_connection_get_drop_reason(otc_session_get_connection(s)));
}

static void on_created(otc_session* s, void* user_data, const otc_connection* c) {
  struct recorder* r = user_data;
  record(r, EV_CREATED, c, 0, NULL);
  if (r->after_created) {
    r->after_created(s, r);
  }
}

static void on_dropped(otc_session* s, void* user_data, const otc_connection* c) {
  (void)s;
  record(user_data, EV_DROPPED, c, 0, NULL);
}

static void on_error(otc_session* s, void* user_data, const char* message,
                     enum otc_session_error_code code) {
  struct recorder* r = user_data;
  record(r, EV_ERROR, NULL, (int)code, message);
  if (r->after_error) {
    r->after_error(s, r);
  }
}

static void on_batch_begin(otc_session* s, void* user_data) {
  (void)s;
  record(user_data, EV_BATCH_BEGIN, NULL, 0, NULL);
}

static void on_batch_end(otc_session* s, void* user_data) {
  (void)s;
  record(user_data, EV_BATCH_END, NULL, 0, NULL);
}

void recorder_batch_callbacks(otc_session_settings* settings) {
  REQUIRE(otc_session_settings_set_batch_callbacks(settings, on_batch_begin, on_batch_end) ==
              OTC_SUCCESS, "batch callbacks");
}

struct otc_session_callbacks recorder_callbacks(struct recorder* recorder) {
  struct otc_session_callbacks callbacks = {
      .on_connected = on_connected,
      .on_reconnection_started = on_reconnection_started,
      .on_reconnected = on_reconnected,
      .on_disconnected = on_disconnected,
      .on_connection_created = on_created,
      .on_connection_dropped = on_dropped,
      .on_error = on_error,
      .user_data = recorder,
  };
  return callbacks;
}

static int count_locked(struct recorder* r, enum event_kind kind, const char* id) {
  int n = 0;
  for (size_t i = 0; i < r->count; i++) {
    if (r->events[i].kind == kind && (!id || strcmp(r->events[i].id, id) == 0)) {
      n++;
    }
  }
  return n;
}

int recorder_count(struct recorder* r, enum event_kind kind, const char* id) {
  pthread_mutex_lock(&r->lock);
  int n = count_locked(r, kind, id);
  pthread_mutex_unlock(&r->lock);
  return n;
}

static bool wait_until(struct recorder* r, int64_t deadline_ms) {
  int64_t left = deadline_ms - now_ms();
  if (left <= 0) {
    return false;
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += left / 1000;
  until.tv_nsec += (left % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&r->changed, &r->lock, &until);
  return true;
}

bool recorder_wait(struct recorder* r, enum event_kind kind, const char* id, int at_least,
                   int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  pthread_mutex_lock(&r->lock);
  bool ok;
  while (!(ok = count_locked(r, kind, id) >= at_least) && wait_until(r, deadline)) {
  }
  pthread_mutex_unlock(&r->lock);
  return ok;
}

bool recorder_wait_roster(struct recorder* r, size_t size, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  pthread_mutex_lock(&r->lock);
  bool ok;
  while (!(ok = r->roster_count == size) && wait_until(r, deadline)) {
  }
  pthread_mutex_unlock(&r->lock);
  return ok;
}

bool recorder_roster_has(struct recorder* r, const char* id) {
  pthread_mutex_lock(&r->lock);
  bool found = false;
  for (size_t i = 0; i < r->roster_count; i++) {
    found = found || strcmp(r->roster[i], id) == 0;
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

bool recorder_get(struct recorder* r, enum event_kind kind, int index, struct event* out) {
  pthread_mutex_lock(&r->lock);
  bool found = false;
  for (size_t i = 0; i < r->count && !found; i++) {
    if (r->events[i].kind == kind && index-- == 0) {
      *out = r->events[i];
      found = true;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

void recorder_dump(struct recorder* r, const char* name) {
  static const char* const kinds[] = {"connected", "reconnecting", "reconnected",
                                      "disconnected", "created", "dropped", "error",
                                      "batch-begin", "batch-end"};
  pthread_mutex_lock(&r->lock);
  fprintf(stderr, "events of %s (%zu, roster %zu, duplicates %d, ghosts %d):\n", name,
          r->count, r->roster_count, r->duplicates, r->ghosts);
  for (size_t i = 0; i < r->count; i++) {
    const struct event* e = &r->events[i];
    fprintf(stderr, "  %s %s %s %s %d\n", kinds[e->kind], e->id, e->data,
            otc_connection_drop_reason_string(e->reason), e->error_code);
  }
  pthread_mutex_unlock(&r->lock);
}

/* --- clients -------------------------------------------------------------- */

otc_session* connect_client(const struct server* server, struct recorder* recorder,
                            const char* session_id, const char* data) {
  otc_session_settings* settings = fast_settings(server);
  struct otc_session_callbacks callbacks = recorder_callbacks(recorder);
  otc_session* session =
      otc_session_new_with_settings(TEST_API_KEY, session_id, &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session, "otc_session_new");
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, session_id, data, 3600);
  REQUIRE(otc_session_connect(session, token) == OTC_SUCCESS, "connect");
  free(token);
  if (!recorder_wait(recorder, EV_CONNECTED, NULL, 1, 15000)) {
    recorder_dump(recorder, data);
    REQUIRE(false, "%s did not connect", data);
  }
  return session;
}

void flush_callbacks(otc_session* idle_session, struct recorder* recorder) {
  int before = recorder_count(recorder, EV_DROPPED, "inject-0");
  REQUIRE(otc_session_test_inject_connection_events(idle_session, 1) == OTC_SUCCESS, "inject");
  REQUIRE(recorder_wait(recorder, EV_DROPPED, "inject-0", before + 1, 10000), "flush");
}

void own_id(otc_session* session, char out[80]) {
  const otc_connection* self = otc_session_get_connection(session);
  REQUIRE(self, "no own connection");
  snprintf(out, 80, "%s", otc_connection_get_id(self));
}

void watcher_start(struct watcher* watcher, const struct server* server,
                   const char* session_id, const char* data, const char* const* extra) {
  const char* program = getenv("OTC_WATCH");
  REQUIRE(program, "OTC_WATCH is not set");
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, session_id, data, 3600);
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
  char* argv[32] = {(char*)program, "--url", (char*)server->url, "--api-key", TEST_API_KEY,
                    "--session", (char*)session_id, "--token", token};
  int argc = 9;
  for (int i = 0; extra && extra[i] && argc < 30; i++) {
    argv[argc++] = (char*)extra[i];
  }
  argv[argc] = NULL;
  watcher->pid = spawn(argv, fds[1], NULL);
  close(fds[1]);
  watcher->out = fds[0];
  watcher->buffered = 0;
  free(token);
}

bool watcher_wait_line(struct watcher* w, const char* prefix, int timeout_ms, char* line,
                       size_t line_size) {
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    char* newline;
    while ((newline = memchr(w->buffer, '\n', w->buffered)) != NULL) {
      *newline = '\0';
      bool match = strncmp(w->buffer, prefix, strlen(prefix)) == 0;
      if (match && line) {
        snprintf(line, line_size, "%s", w->buffer);
      }
      size_t used = (size_t)(newline - w->buffer) + 1;
      memmove(w->buffer, newline + 1, w->buffered - used);
      w->buffered -= used;
      if (match) {
        return true;
      }
    }
    int left = (int)(deadline - now_ms());
    struct pollfd fd = {.fd = w->out, .events = POLLIN};
    if (left <= 0 || poll(&fd, 1, left) <= 0) {
      return false;
    }
    ssize_t got = read(w->out, w->buffer + w->buffered, sizeof w->buffer - 1 - w->buffered);
    if (got <= 0) {
      return false;
    }
    w->buffered += (size_t)got;
  }
}

int watcher_signal(struct watcher* w, int signal_number) {
  kill(w->pid, signal_number);
  if (signal_number == SIGSTOP || signal_number == SIGCONT) {
    return 0;
  }
  return watcher_wait_exit(w, 10000);
}

int watcher_wait_exit(struct watcher* w, int timeout_ms) {
  int code = reap(w->pid, timeout_ms);
  if (code != -1000) {
    close(w->out);
    w->out = -1;
  }
  return code;
}

/* OTC_TEST_LOG=N sets libotc's log level for a test run (debugging aid). */
static void timestamped_log(enum otc_log_level level, const char* message, void* user_data) {
  (void)user_data;
  fprintf(stderr, "%lld otc %d: %s\n", (long long)now_ms(), (int)level, message);
}

__attribute__((constructor)) static void enable_test_log(void) {
  const char* level = getenv("OTC_TEST_LOG");
  if (level) {
    otc_log_enable(atoi(level));
    otc_log_set_callback(timestamped_log, NULL);
  }
}
