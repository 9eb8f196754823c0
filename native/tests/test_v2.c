/* Protocol v2, client side, against a scripted server in this process (the
 * real server's v2 is tested by the other tests once it speaks it): the
 * connect frame asks for v2; with a v2 server the client sends no pings and
 * takes the server's pings as life; a resume carries epoch and lastSeq and
 * applies replayed events with their true reasons and (epoch, seq); a
 * `disconnected` answer to a resume is final; another error than 1006 during
 * a resume is retried as a resume, after the server's retryAfterMs, and a
 * refused first connect is retried too; batch callbacks frame each group of
 * events; a server that announces a longer heartbeat timeout than the
 * client's own is waited for that long. */

#define _DEFAULT_SOURCE /* struct tcp_info */
#include "support.h"

#include "fake_server.h"

#include <netinet/in.h>
#include <linux/tcp.h> /* tcpi_bytes_received */
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

enum scenario { PINGS, SLOW_PINGS, REPLAY, TOMBSTONE, RETRY, REFUSED, REJOIN, REVOKED };

static atomic_int scenario;

/* First frames (connect or resume) the server got, in order. */
static pthread_mutex_t frames_lock = PTHREAD_MUTEX_INITIALIZER;
static char frames[8][1024];
static int frame_count;
static int64_t frame_at_ms[8];
static atomic_int pings;
static atomic_int server_fd;

#define CONNECTED_V2 "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"v2\"," \
  "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"r1\"," \
  "\"epoch\":7,\"seq\":10,\"connections\":[{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2}]}"
#define RESUMED_REPLAY "{\"type\":\"connected\",\"protocol\":2,\"resumed\":true,\"replay\":true," \
  "\"sessionId\":\"v2\",\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1}," \
  "\"resumeToken\":\"r2\",\"epoch\":7,\"seq\":11}"
#define CREATED_B "{\"type\":\"events\",\"events\":[{\"seq\":11,\"type\":\"connectionCreated\"," \
  "\"connection\":{\"id\":\"B\",\"data\":\"b\",\"creationTime\":3}}]}"
#define REPLAYED "{\"type\":\"events\",\"events\":[" \
  "{\"seq\":12,\"type\":\"connectionDestroyed\",\"reason\":\"clientDisconnected\"," \
  "\"connection\":{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2}}," \
  "{\"seq\":13,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"C\",\"data\":\"\",\"creationTime\":4}}," \
  "{\"seq\":14,\"type\":\"connectionDestroyed\",\"reason\":\"forceDisconnected\"," \
  "\"connection\":{\"id\":\"C\",\"data\":\"\",\"creationTime\":4}}]}"

/* A rejoin as a new connection ("me2") while the server still lists the old
 * one ("me") in its grace. */
#define REJOINED "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"v2\"," \
  "\"connection\":{\"id\":\"me2\",\"data\":\"\",\"creationTime\":5},\"resumeToken\":\"r3\"," \
  "\"epoch\":7,\"seq\":20,\"connections\":[{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2}," \
  "{\"id\":\"me\",\"data\":\"\",\"creationTime\":1}]}"

struct peer {
  const char* out[4]; /* frames to send, in order */
  bool close_after; /* close once `out` is sent */
  int ping_ms;      /* a ping this often after `out`; 0: none */
  int64_t next_ping_ms;
};

/* A server that pings every 1500 ms and says so, with a 4000 ms timeout:
 * longer than the client's own 1000 ms setting. */
#define SLOW_PING_MS 1500
#define CONNECTED_SLOW "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"v2\"," \
  "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"r1\"," \
  "\"epoch\":7,\"seq\":10,\"connections\":[]," \
  "\"heartbeat\":{\"intervalMs\":1500,\"timeoutMs\":4000},\"grace\":{\"closedMs\":500,\"silentMs\":1500}}"

static void script(struct peer* peer, int k) {
  switch ((enum scenario)atomic_load(&scenario)) {
    case PINGS:
      peer->out[0] = CONNECTED_V2;
      peer->ping_ms = 250;
      break;
    case SLOW_PINGS:
      peer->out[0] = CONNECTED_SLOW;
      peer->ping_ms = SLOW_PING_MS;
      break;
    case REPLAY:
      peer->out[0] = k == 0 ? CONNECTED_V2 : RESUMED_REPLAY;
      peer->out[1] = k == 0 ? CREATED_B : REPLAYED;
      break;
    case TOMBSTONE:
      peer->out[0] = k == 0 ? CONNECTED_V2
                            : "{\"type\":\"disconnected\",\"reason\":\"forceDisconnected\"}";
      peer->close_after = k > 0;
      break;
    case REFUSED:
      peer->out[0] = k == 0 ? "{\"type\":\"error\",\"code\":1023,\"message\":\"overloaded\",\"retryAfterMs\":300}"
                            : CONNECTED_V2;
      peer->close_after = k == 0;
      break;
    case REJOIN:
      peer->out[0] = k == 0 ? CONNECTED_V2
                     : k == 1 ? "{\"type\":\"error\",\"code\":1006,\"message\":\"unknown connection\"}"
                              : REJOINED;
      peer->close_after = k == 1;
      break;
    case REVOKED:
      peer->out[0] = CONNECTED_V2;
      peer->out[1] = k == 0 ? "{\"type\":\"error\",\"code\":1004,\"message\":\"revoked\"}" : NULL;
      peer->close_after = k == 0;
      break;
    case RETRY:
      peer->out[0] = k == 0 ? CONNECTED_V2
                     : k == 1 ? "{\"type\":\"error\",\"code\":1023,\"message\":\"busy\",\"retryAfterMs\":400}"
                              : RESUMED_REPLAY;
      peer->close_after = k == 1;
      break;
  }
}

static void peer_opened(struct fake_peer* conn) {
  atomic_store(&server_fd, fake_peer_fd(conn));
}

static void peer_message(struct fake_peer* conn, const char* text, size_t length) {
  struct peer* peer = fake_peer_state(conn);
  if (peer->out[0]) {
    return; /* only the first frame is scripted */
  }
  pthread_mutex_lock(&frames_lock);
  int k = frame_count;
  if (frame_count < 8) {
    snprintf(frames[frame_count], sizeof frames[0], "%.*s", (int)length, text);
    frame_at_ms[frame_count++] = now_ms();
  }
  pthread_mutex_unlock(&frames_lock);
  script(peer, k);
  for (int i = 0; i < 4 && peer->out[i]; i++) {
    if (!fake_peer_send_text(conn, peer->out[i])) {
      return;
    }
  }
  peer->next_ping_ms = now_ms() + peer->ping_ms;
  if (peer->close_after) {
    fake_peer_close(conn);
  }
}

static void peer_tick(struct fake_peer* conn) {
  struct peer* peer = fake_peer_state(conn);
  if (peer->ping_ms > 0 && now_ms() >= peer->next_ping_ms) {
    peer->next_ping_ms = now_ms() + peer->ping_ms;
    atomic_fetch_add(&pings, 1);
    fake_peer_send(conn, FAKE_PING, true, NULL, 0);
  }
}

static const struct fake_script v2_script = {.opened = peer_opened,
                                             .message = peer_message,
                                             .tick = peer_tick,
                                             .tick_ms = 10,
                                             .state_size = sizeof(struct peer)};

static void frame(int index, char* out) {
  pthread_mutex_lock(&frames_lock);
  snprintf(out, 1024, "%s", index < frame_count ? frames[index] : "");
  pthread_mutex_unlock(&frames_lock);
}

static int frames_seen(void) {
  pthread_mutex_lock(&frames_lock);
  int count = frame_count;
  pthread_mutex_unlock(&frames_lock);
  return count;
}

static otc_session* start(int port, struct recorder* r, enum scenario which) {
  pthread_mutex_lock(&frames_lock);
  frame_count = 0;
  pthread_mutex_unlock(&frames_lock);
  atomic_store(&scenario, which);
  recorder_init(r);
  otc_session_settings* settings = otc_session_settings_new();
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", port);
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  REQUIRE(otc_session_settings_set_heartbeat(settings, 200, 1000) == OTC_SUCCESS, "heartbeat");
  REQUIRE(otc_session_settings_set_reconnection(settings, 50, 200, 10000) == OTC_SUCCESS, "rc");
  recorder_batch_callbacks(settings);
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* session = otc_session_new_with_settings(TEST_API_KEY, "v2", &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session && otc_session_connect(session, "token") == OTC_SUCCESS, "connect");
  if (!recorder_wait(r, EV_CONNECTED, NULL, 1, 10000)) {
    recorder_dump(r, "start");
    for (int i = 0; i < frames_seen(); i++) {
      char text[1024];
      frame(i, text);
      fprintf(stderr, "frame %d: %s\n", i, text);
    }
    REQUIRE(false, "not connected");
  }
  char first[1024];
  frame(0, first);
  REQUIRE(strstr(first, "\"type\":\"connect\"") && strstr(first, "\"protocol\":2"),
          "the connect frame asks for v2: %s", first);
  return session;
}

static uint64_t server_bytes_received(void) {
  struct tcp_info info;
  socklen_t length = sizeof info;
  REQUIRE(getsockopt(atomic_load(&server_fd), IPPROTO_TCP, TCP_INFO, &info, &length) == 0,
          "TCP_INFO");
  return info.tcpi_bytes_received;
}

/* Only the server pings; the client answers and stays connected, and sends
 * nothing else: an empty masked pong is 6 bytes, so 6 per ping at most.
 * (Counted by the kernel, TCP_INFO: every byte the client sent.) */
static void test_pings(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, PINGS);
  sleep_ms(300);
  uint64_t bytes = server_bytes_received();
  int pings_before = atomic_load(&pings);
  sleep_ms(3000); /* three client timeouts */
  uint64_t sent = server_bytes_received() - bytes;
  int pinged = atomic_load(&pings) - pings_before;
  REQUIRE(pinged >= 8, "the server sent %d pings", pinged);
  REQUIRE(sent >= (uint64_t)(pinged - 2) * 6, "pings unanswered: %llu bytes for %d pings",
          (unsigned long long)sent, pinged);
  REQUIRE(sent <= (uint64_t)(pinged + 1) * 6, "the client sent %llu bytes for %d pings",
          (unsigned long long)sent, pinged);
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0, "server pings are life");
  otc_session_delete(session);
  recorder_free(&r);
  printf("pings            no client pings (%llu bytes for %d pings), still connected\n",
         (unsigned long long)sent, pinged);
}

/* A server that announces a heartbeat timeout longer than the client's own
 * setting (it pings seldom, to spare idle clients) is not taken for lost
 * between its pings: the client waits the announced timeout. */
static void test_slow_pings(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, SLOW_PINGS); /* client timeout: 1000 ms */
  int pings_before = atomic_load(&pings);
  int64_t deadline = now_ms() + 15000;
  /* Three gaps of 1500 ms, or a reconnection. */
  while (atomic_load(&pings) < pings_before + 3 &&
         recorder_count(&r, EV_RECONNECTING, NULL) == 0 && now_ms() < deadline) {
    sleep_ms(10);
  }
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0,
          "the client took a server that pings every %d ms, as announced, for lost",
          SLOW_PING_MS);
  otc_session_delete(session);
  recorder_free(&r);
  printf("slow pings       the server's announced timeout is waited for\n");
}

static bool batch_around(struct recorder* r, size_t from, const enum event_kind* kinds, size_t n) {
  pthread_mutex_lock(&r->lock);
  bool ok = r->count >= from + n + 2 && r->events[from].kind == EV_BATCH_BEGIN &&
            r->events[from + n + 1].kind == EV_BATCH_END;
  for (size_t i = 0; ok && i < n; i++) {
    ok = r->events[from + 1 + i].kind == kinds[i];
  }
  pthread_mutex_unlock(&r->lock);
  return ok;
}

static size_t index_of(struct recorder* r, enum event_kind kind, int nth) {
  pthread_mutex_lock(&r->lock);
  size_t found = SIZE_MAX;
  for (size_t i = 0; i < r->count && found == SIZE_MAX; i++) {
    if (r->events[i].kind == kind && nth-- == 0) {
      found = i;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

static void test_replay(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, REPLAY);
  REQUIRE(recorder_wait(&r, EV_CREATED, "B", 1, 10000), "B");
  REQUIRE(otc_session_test_drop_socket(session) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&r, EV_DROPPED, "C", 1, 10000), "C replayed");
  char resume[1024];
  frame(1, resume);
  REQUIRE(strstr(resume, "\"type\":\"resume\"") && strstr(resume, "\"epoch\":7") &&
              strstr(resume, "\"lastSeq\":11") && strstr(resume, "\"protocol\":2") &&
              strstr(resume, "\"resumeToken\":\"r1\""),
          "resume frame: %s", resume);
  struct event a, c, b;
  REQUIRE(recorder_get(&r, EV_DROPPED, 0, &a) && strcmp(a.id, "A") == 0, "A dropped first");
  REQUIRE(a.reason == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED && a.seq == 12 &&
              a.epoch == 7, "A: true reason, (7, 12): %d (%lld, %lld)", a.reason,
          (long long)a.epoch, (long long)a.seq);
  REQUIRE(recorder_get(&r, EV_DROPPED, 1, &c) &&
              c.reason == OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED && c.seq == 14,
          "C force-disconnected at 14");
  REQUIRE(recorder_get(&r, EV_CREATED, 1, &b) && strcmp(b.id, "B") == 0 && b.seq == 11 &&
              b.epoch == 7, "B created at (7, 11)");
  REQUIRE(recorder_count(&r, EV_RECONNECTED, NULL) == 1, "reconnected");
  REQUIRE(recorder_wait_roster(&r, 1, 1000) && recorder_roster_has(&r, "B"), "roster: B");
  /* Batches: roster [A] after on_connected; [B]; the replayed [A-, C+, C-]. */
  REQUIRE(recorder_wait(&r, EV_BATCH_END, NULL, 3, 10000), "three batch ends");
  enum event_kind one_created[] = {EV_CREATED};
  enum event_kind replayed[] = {EV_DROPPED, EV_CREATED, EV_DROPPED};
  REQUIRE(batch_around(&r, index_of(&r, EV_CONNECTED, 0) + 1, one_created, 1), "roster batch");
  REQUIRE(batch_around(&r, index_of(&r, EV_CREATED, 1) - 1, one_created, 1), "B's batch");
  REQUIRE(batch_around(&r, index_of(&r, EV_DROPPED, 0) - 1, replayed, 3), "replayed batch");
  REQUIRE(recorder_count(&r, EV_BATCH_BEGIN, NULL) == 3 &&
              recorder_count(&r, EV_BATCH_END, NULL) == 3, "three batches");
  otc_session_delete(session);
  recorder_free(&r);
  printf("replay           true reasons, (epoch, seq), batches\n");
}

static void test_tombstone(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, TOMBSTONE);
  REQUIRE(otc_session_test_drop_socket(session) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&r, EV_DISCONNECTED, NULL, 1, 10000), "on_disconnected");
  struct event ended;
  recorder_get(&r, EV_DISCONNECTED, 0, &ended);
  if (ended.reason != OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED) {
    recorder_dump(&r, "tombstone");
  }
  REQUIRE(ended.reason == OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED, "own reason %d",
          ended.reason);
  sleep_ms(1000);
  REQUIRE(frames_seen() == 2, "no rejoin after a tombstone: %d frames", frames_seen());
  otc_session_delete(session);
  recorder_free(&r);
  printf("tombstone        final, no rejoin\n");
}

static void test_retry(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, RETRY);
  REQUIRE(otc_session_test_drop_socket(session) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&r, EV_RECONNECTED, NULL, 1, 10000), "reconnected");
  char second[1024];
  frame(2, second);
  REQUIRE(strstr(second, "\"type\":\"resume\""), "after 1023, a resume again: %s", second);
  pthread_mutex_lock(&frames_lock);
  int64_t waited = frame_at_ms[2] - frame_at_ms[1];
  pthread_mutex_unlock(&frames_lock);
  REQUIRE(waited >= 400, "retried after %lld ms, before retryAfterMs 400", (long long)waited);
  REQUIRE(recorder_count(&r, EV_DISCONNECTED, NULL) == 0, "not ended");
  otc_session_delete(session);
  recorder_free(&r);
  printf("retry            1023 during a resume: resumed again after %lld ms\n",
         (long long)waited);
}

/* A first connect refused with 1023 (an overloaded server) is retried after
 * retryAfterMs, not ended. */
static void test_refused(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, REFUSED);
  REQUIRE(frames_seen() == 2, "two connects: %d", frames_seen());
  char second[1024];
  frame(1, second);
  REQUIRE(strstr(second, "\"type\":\"connect\""), "connect again: %s", second);
  pthread_mutex_lock(&frames_lock);
  int64_t waited = frame_at_ms[1] - frame_at_ms[0];
  pthread_mutex_unlock(&frames_lock);
  REQUIRE(waited >= 300, "retried after %lld ms, before retryAfterMs 300", (long long)waited);
  REQUIRE(recorder_count(&r, EV_ERROR, NULL) == 0, "a refusal that heals is no error");
  otc_session_delete(session);
  recorder_free(&r);
  printf("refused          1023 on connect: connected after %lld ms\n", (long long)waited);
}

/* Holds the library thread inside a callback of another session. */
static atomic_bool loop_held;
static atomic_bool loop_released;

static void hold_loop(otc_session* session, struct recorder* r) {
  (void)session;
  (void)r;
  atomic_store(&loop_held, true);
  while (!atomic_load(&loop_released)) {
    sleep_ms(1);
  }
}

/* A disconnect right behind a loss, both asked for before the library sees
 * the loss (the library thread is held meanwhile): no on_reconnection_started
 * after otc_session_disconnect, just on_disconnected. */
static void test_disconnect_after_loss(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, TOMBSTONE);
  struct recorder held;
  recorder_init(&held);
  held.after_created = hold_loop;
  struct otc_session_callbacks callbacks = recorder_callbacks(&held);
  otc_session* idle = otc_session_new(TEST_API_KEY, "hold", &callbacks);
  REQUIRE(idle && otc_session_test_inject_connection_events(idle, 1) == OTC_SUCCESS, "inject");
  while (!atomic_load(&loop_held)) {
    sleep_ms(1);
  }
  REQUIRE(otc_session_test_drop_socket(session) == OTC_SUCCESS, "drop");
  REQUIRE(otc_session_disconnect(session) == OTC_SUCCESS, "disconnect");
  atomic_store(&loop_released, true);
  REQUIRE(recorder_wait(&r, EV_DISCONNECTED, NULL, 1, 10000), "on_disconnected");
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0,
          "on_reconnection_started after otc_session_disconnect");
  REQUIRE(recorder_count(&r, EV_ERROR, NULL) == 0, "no error");
  /* It left through a resume (then a close frame): wait until the server got
   * it, which may be after on_disconnected. */
  int64_t deadline = now_ms() + 5000;
  while (frames_seen() < 2 && now_ms() < deadline) {
    sleep_ms(5);
  }
  char resume[1024];
  frame(1, resume);
  REQUIRE(strstr(resume, "\"type\":\"resume\""), "left through a resume: %s", resume);
  otc_session_delete(session);
  otc_session_delete(idle);
  recorder_free(&r);
  recorder_free(&held);
  printf("disconnect       right after a loss: on_disconnected only\n");
}

static void slow_on_error(otc_session* session, struct recorder* r) {
  (void)session;
  (void)r;
  sleep_ms(300);
}

/* A connect that succeeds is never followed by the old cycle's callbacks: a
 * connect from another thread waits until on_disconnected has returned.
 * Before, the state went idle before on_error and on_disconnected were
 * delivered, and the connect succeeded in between. */
static void test_connect_after_end(int port) {
  struct recorder r;
  recorder_init(&r);
  r.after_error = slow_on_error;
  pthread_mutex_lock(&frames_lock);
  frame_count = 0;
  pthread_mutex_unlock(&frames_lock);
  atomic_store(&scenario, REVOKED);
  otc_session_settings* settings = otc_session_settings_new();
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", port);
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  struct otc_session_callbacks callbacks = recorder_callbacks(&r);
  otc_session* session = otc_session_new_with_settings(TEST_API_KEY, "v2", &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session && otc_session_connect(session, "token") == OTC_SUCCESS, "connect");
  REQUIRE(recorder_wait(&r, EV_ERROR, NULL, 1, 10000), "on_error 1004");
  int64_t deadline = now_ms() + 10000;
  otc_status status;
  while ((status = otc_session_connect(session, "token")) != OTC_SUCCESS && now_ms() < deadline) {
    REQUIRE(status == OTC_ERROR_INVALID_STATE, "connect: %d", status);
  }
  int disconnected = recorder_count(&r, EV_DISCONNECTED, NULL);
  REQUIRE(status == OTC_SUCCESS, "never connected again");
  REQUIRE(disconnected == 1, "a new connect succeeded before the old cycle's on_disconnected");
  REQUIRE(recorder_wait(&r, EV_CONNECTED, NULL, 2, 10000), "connected again");
  otc_session_delete(session);
  recorder_free(&r);
  printf("connect again    waits until on_disconnected returned\n");
}

/* After a rejoin as a new connection, the old own ID is never announced. */
static void test_rejoin_hides_old_self(int port) {
  struct recorder r;
  otc_session* session = start(port, &r, REJOIN);
  REQUIRE(otc_session_test_drop_socket(session) == OTC_SUCCESS, "drop");
  REQUIRE(recorder_wait(&r, EV_RECONNECTED, NULL, 1, 10000), "reconnected");
  REQUIRE(recorder_count(&r, EV_CREATED, "me") == 0, "the old own connection was announced");
  REQUIRE(recorder_wait_roster(&r, 1, 1000) && recorder_roster_has(&r, "A"), "roster: A");
  REQUIRE(strcmp(otc_connection_get_id(otc_session_get_connection(session)), "me2") == 0,
          "the new own connection");
  otc_session_delete(session);
  recorder_free(&r);
  printf("rejoin           the old own ID is not announced\n");
}

int main(void) {
  struct fake_server* server = fake_server_start(&v2_script);
  int port = fake_server_port(server);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_pings(port);
  test_slow_pings(port);
  test_replay(port);
  if (getenv("V2_DEBUG")) {
    otc_log_enable(OTC_LOG_LEVEL_ALL);
  }
  test_tombstone(port);
  test_retry(port);
  test_refused(port);
  test_disconnect_after_loss(port);
  test_rejoin_hides_old_self(port);
  test_connect_after_end(port);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  fake_server_stop(server);
  printf("v2 tests passed\n");
  return 0;
}
