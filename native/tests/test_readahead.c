/* Reading ahead of the application, against a scripted server in this
 * process: a ping that comes behind a backlog of events is answered before
 * the application has worked through that backlog (the server takes a late
 * pong for a lost client: a storm of events must not turn into a reconnect
 * storm), while the events are still applied whole, once and in order; and
 * when the server closes after a backlog, every event is applied before the
 * socket's end is told; and while it works through a backlog with no ping
 * in it, the client shows the server it is alive with unsolicited pongs. The
 * application here is slow on purpose: each on_connection_created burns
 * 50 us of CPU. */

#include "support.h"

#include "fake_server.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define FRAMES 50
#define EVENTS_PER_FRAME 100
#define EVENTS (FRAMES * EVENTS_PER_FRAME)
#define SLOW_CALLBACK_US 50

#define CONNECTED "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"ra\"," \
  "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"r1\"," \
  "\"epoch\":7,\"seq\":10,\"connections\":[]}"
#define CONNECTED_PINGING_EVERY_200_MS \
  "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"ra\"," \
  "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"r1\"," \
  "\"epoch\":7,\"seq\":10,\"connections\":[],\"heartbeat\":{\"intervalMs\":200,\"timeoutMs\":2500}}"

/* What the scripted server does after the backlog. */
enum after_backlog { PING, CLOSE, NOTHING };
static atomic_int after_backlog;
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static char current_token[32]; /* the token of the test that runs */
static atomic_int applied;          /* on_connection_created calls so far */
static atomic_int applied_at_pong;  /* ...when the pong came; -1 before */
static atomic_int applied_at_life;  /* ...when the first unsolicited pong came; -1 before */

/* FRAMES events frames of EVENTS_PER_FRAME created events, c0, c1, ... */
static void send_backlog(struct fake_peer* peer) {
  static char frame[EVENTS_PER_FRAME * 128 + 64];
  for (int f = 0; f < FRAMES; f++) {
    size_t n = (size_t)snprintf(frame, sizeof frame, "{\"type\":\"events\",\"events\":[");
    for (int e = 0; e < EVENTS_PER_FRAME; e++) {
      int k = f * EVENTS_PER_FRAME + e;
      n += (size_t)snprintf(frame + n, sizeof frame - n,
                            "%s{\"seq\":%d,\"type\":\"connectionCreated\",\"connection\":"
                            "{\"id\":\"c%d\",\"data\":\"\",\"creationTime\":%d}}",
                            e ? "," : "", 11 + k, k, 2 + k);
    }
    snprintf(frame + n, sizeof frame - n, "]}");
    REQUIRE(fake_peer_send_text(peer, frame), "the client left during the backlog");
  }
}

/* The scenario answers only the current test's connect: a leftover socket of
 * the test before (a resume, or a connect the fake server's thread took late
 * on a loaded machine) gets nothing. */
static void message(struct fake_peer* peer, const char* text, size_t length) {
  char token[64];
  pthread_mutex_lock(&token_lock);
  snprintf(token, sizeof token, "\"%s\"", current_token);
  pthread_mutex_unlock(&token_lock);
  if (!memmem(text, length, "\"type\":\"connect\"", 16) || !memmem(text, length, token, strlen(token))) {
    return;
  }
  int after = atomic_load(&after_backlog);
  REQUIRE(fake_peer_send_text(peer, after == NOTHING ? CONNECTED_PINGING_EVERY_200_MS : CONNECTED),
          "connected");
  send_backlog(peer);
  if (after == CLOSE) {
    fake_peer_close(peer);
  } else if (after == PING) {
    REQUIRE(fake_peer_send(peer, FAKE_PING, true, "late", 4), "ping");
  }
}

static void pong(struct fake_peer* peer, const char* payload, size_t length) {
  (void)peer;
  if (length == 4 && memcmp(payload, "late", 4) == 0) {
    atomic_store(&applied_at_pong, atomic_load(&applied));
  } else if (length == 0 && atomic_load(&applied_at_life) < 0) {
    atomic_store(&applied_at_life, atomic_load(&applied)); /* no ping asked for it */
  }
}

static const struct fake_script script = {.message = message, .pong = pong};

static int64_t monotonic_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void slow_created(otc_session* session, struct recorder* r) {
  (void)session;
  (void)r;
  int64_t until = monotonic_us() + SLOW_CALLBACK_US;
  while (monotonic_us() < until) {
    /* an application that takes its time */
  }
  atomic_fetch_add(&applied, 1);
}

static otc_session* start(int port, struct recorder* r, enum after_backlog after) {
  static const char* const tokens[] = {"token-ping", "token-close", "token-nothing"};
  atomic_store(&after_backlog, (int)after);
  pthread_mutex_lock(&token_lock);
  snprintf(current_token, sizeof current_token, "%s", tokens[after]);
  pthread_mutex_unlock(&token_lock);
  atomic_store(&applied, 0);
  atomic_store(&applied_at_pong, -1);
  atomic_store(&applied_at_life, -1);
  recorder_init(r);
  r->after_created = slow_created;
  otc_session_settings* settings = otc_session_settings_new();
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", port);
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* session = otc_session_new_with_settings(TEST_API_KEY, "ra", &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session && otc_session_connect(session, current_token) == OTC_SUCCESS, "connect");
  return session;
}

/* Every event once, in the server's order. */
static void require_all_in_order(struct recorder* r) {
  REQUIRE(recorder_wait(r, EV_CREATED, NULL, EVENTS, 60000), "not every event was applied");
  pthread_mutex_lock(&r->lock);
  int k = 0;
  for (size_t i = 0; i < r->count; i++) {
    if (r->events[i].kind == EV_CREATED) {
      char id[16];
      snprintf(id, sizeof id, "c%d", k);
      REQUIRE(strcmp(r->events[i].id, id) == 0, "created #%d is %s, not %s", k,
              r->events[i].id, id);
      k++;
    }
  }
  pthread_mutex_unlock(&r->lock);
  REQUIRE(k == EVENTS, "%d created, not %d", k, EVENTS);
  REQUIRE(r->duplicates == 0 && r->ghosts == 0, "duplicates %d, ghosts %d", r->duplicates,
          r->ghosts);
}

/* A mark the server's thread sets when it reads a pong: awaited up to 10 s;
 * -1 when it never came. */
static int await_mark(atomic_int* mark) {
  int64_t deadline = now_ms() + 10000;
  while (atomic_load(mark) < 0 && now_ms() < deadline) {
    sleep_ms(10);
  }
  return atomic_load(mark);
}

/* Starts a session whose server sends a backlog and then `after`, and returns
 * how many events the application had applied when the server read the pong
 * that sets `mark`: the pong must come while events still wait. */
static int applied_at(int port, enum after_backlog after, atomic_int* mark, const char* pong) {
  struct recorder r;
  otc_session* session = start(port, &r, after);
  require_all_in_order(&r);
  int at = await_mark(mark);
  REQUIRE(at >= 0, "no %s", pong);
  REQUIRE(at < EVENTS, "the %s came after all %d events", pong, EVENTS);
  otc_session_delete(session);
  recorder_free(&r);
  return at;
}

/* The pong leaves while most of the backlog still waits for the application.
 * Without reading ahead, the ping is read only after every event before it
 * was applied (applied_at_pong == EVENTS). */
static void test_ping_behind_backlog(int port) {
  int at = applied_at(port, PING, &applied_at_pong, "pong to the ping behind the backlog");
  printf("ping behind backlog  answered after %d of %d events were applied\n", at, EVENTS);
}

/* The server closes right after the backlog: every event is applied before
 * the client tells that it lost the socket. */
static void test_close_behind_backlog(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, CLOSE);
  require_all_in_order(&r);
  REQUIRE(recorder_wait(&r, EV_RECONNECTING, NULL, 1, 10000), "the close was not seen");
  struct event last_created, reconnecting;
  REQUIRE(recorder_get(&r, EV_CREATED, EVENTS - 1, &last_created) &&
              recorder_get(&r, EV_RECONNECTING, 0, &reconnecting),
          "events");
  pthread_mutex_lock(&r.lock);
  size_t created_at = r.count, reconnecting_at = r.count;
  for (size_t i = 0; i < r.count; i++) {
    if (r.events[i].kind == EV_CREATED && strcmp(r.events[i].id, last_created.id) == 0) {
      created_at = i;
    } else if (r.events[i].kind == EV_RECONNECTING && reconnecting_at == r.count) {
      reconnecting_at = i;
    }
  }
  pthread_mutex_unlock(&r.lock);
  REQUIRE(created_at < reconnecting_at, "the socket's end was told before its last event");
  otc_session_delete(session);
  recorder_free(&r);
  printf("close behind backlog every event applied before the end was told\n");
}

/* No ping comes, and the application needs about 250 ms for the backlog: the
 * client sends an unsolicited pong (every intervalMs / 2 = 100 ms without a
 * frame of its own) while events still wait. Without it the server hears
 * nothing from a busy client until it reaches a ping behind the backlog. */
static void test_life_while_applying(int port) {
  int at = applied_at(port, NOTHING, &applied_at_life, "unsolicited pong while the backlog waited");
  printf("life while applying  first unsolicited pong after %d of %d events\n", at, EVENTS);
}

int main(void) {
  struct fake_server* server = fake_server_start(&script);
  int port = fake_server_port(server);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_ping_behind_backlog(port);
  test_close_behind_backlog(port);
  test_life_while_applying(port);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  fake_server_stop(server);
  printf("read-ahead tests passed\n");
  return 0;
}
