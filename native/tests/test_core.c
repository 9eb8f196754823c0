/* The protocol core without I/O: messages.c, callbacks.c and life.c driven
 * through a fake transport and a fake clock (no loop, no socket, no server).
 * Deterministic: frames go in by hand, time moves only when the test says. */

#include "fake_transport.h"

#include "check.h"

#include <stdarg.h>

/* --- what the application sees --------------------------------------------- */

static char seen[4096];

static void note(const char* format, ...) {
  va_list args;
  va_start(args, format);
  size_t used = strlen(seen);
  vsnprintf(seen + used, sizeof seen - used, format, args);
  va_end(args);
}
static void on_connected(otc_session* h, void* u) { (void)h, (void)u; note("connected "); }
static void on_disconnected(otc_session* h, void* u) { (void)h, (void)u; note("disconnected "); }
static void on_reconnecting(otc_session* h, void* u) { (void)h, (void)u; note("reconnecting "); }
static void on_reconnected(otc_session* h, void* u) { (void)h, (void)u; note("reconnected "); }
static void on_created(otc_session* h, void* u, const otc_connection* c) {
  (void)h, (void)u;
  note("+%s ", otc_connection_get_id(c));
}
static void on_dropped(otc_session* h, void* u, const otc_connection* c) {
  (void)h, (void)u;
  note("-%s:%s ", otc_connection_get_id(c),
       otc_connection_drop_reason_string(otc_connection_get_drop_reason(c)));
}
static void on_error(otc_session* h, void* u, const char* m, enum otc_session_error_code code) {
  (void)h, (void)u, (void)m;
  note("error:%d ", (int)code);
}

static struct session* new_session(void) {
  struct session* s = calloc(1, sizeof *s);
  CHECK(s);
  s->api_key = strdup("key");
  s->session_id = strdup("room");
  settings_defaults(&s->settings);
  s->callbacks = (struct otc_session_callbacks){
      .on_connected = on_connected, .on_disconnected = on_disconnected,
      .on_connection_created = on_created, .on_connection_dropped = on_dropped,
      .on_reconnection_started = on_reconnecting, .on_reconnected = on_reconnected,
      .on_error = on_error};
  roster_init(&s->roster);
  s->delete_command = NULL;
  return s;
}

/* As commands.c's run_connect. */
static void connect_session(struct session* s) {
  s->user_state = USER_ACTIVE;
  s->token = strdup("tok");
  s->last_seq = -1;
  s->phase = PHASE_CONNECTING;
  s->attempt = 1;
  s->connect_started = fake_now;
  open_socket(s);
}

static void receive(struct session* s, const char* frame) {
  char* copy = strdup(frame); /* the core rewrites frames in place */
  s->last_received = fake_now;
  handle_message(s, copy, strlen(copy));
  free(copy);
}

#define EXPECT_SEEN(expected)   \
  do {                          \
    CHECK_STR_EQ(seen, expected); \
    seen[0] = '\0';             \
  } while (0)

static const char* connected_v2 =
    "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,\"sessionId\":\"room\","
    "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"rt\","
    "\"epoch\":7,\"seq\":10,\"connections\":[{\"id\":\"a\",\"data\":\"\",\"creationTime\":1},"
    "{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},{\"id\":\"b\",\"data\":\"\",\"creationTime\":1}]}";

/* A connected session with peers a and b, at seq 10 of epoch 7. */
static struct session* connected_session(void) {
  struct session* s = new_session();
  connect_session(s);
  CHECK(s->socket == SOCKET_OPENING);
  socket_established(s);
  CHECK(strstr(sent[(sent_count - 1) % 8], "\"type\":\"connect\""));
  CHECK(strstr(sent[(sent_count - 1) % 8], "\"token\":\"tok\""));
  receive(s, connected_v2);
  EXPECT_SEEN("connected +a +b ");
  CHECK(s->phase == PHASE_CONNECTED && s->protocol == 2 && s->last_seq == 10);
  return s;
}

static void test_events_in_seq_order(void) {
  struct session* s = connected_session();
  receive(s, "{\"type\":\"events\",\"events\":["
             "{\"seq\":11,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"c\",\"data\":\"\",\"creationTime\":2}},"
             "{\"seq\":11,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"d\",\"data\":\"\",\"creationTime\":2}},"
             "{\"seq\":9,\"type\":\"connectionDestroyed\",\"reason\":\"clientDisconnected\",\"connection\":{\"id\":\"a\",\"data\":\"\",\"creationTime\":1}},"
             "{\"seq\":12,\"type\":\"connectionDestroyed\",\"reason\":\"clientDisconnected\",\"connection\":{\"id\":\"a\",\"data\":\"\",\"creationTime\":1}},"
             "{\"seq\":13,\"type\":\"connectionDestroyed\",\"reason\":\"networkDisconnected\",\"connection\":{\"id\":\"ghost\",\"data\":\"\",\"creationTime\":1}},"
             "{\"seq\":14,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1}}]}");
  /* seq 11 once, seq 9 is old, no ghost, never oneself */
  EXPECT_SEEN("+c -a:clientDisconnected ");
  CHECK(s->last_seq == 14);
  receive(s, "{\"type\":\"events\",\"events\":[0]}");
  EXPECT_SEEN("error:2001 disconnected "); /* malformed: nothing applied, the session ends */
  run_delete(s);
}

/* Silence past the timeout (then one recheck) loses the socket; the retry
 * resumes with (epoch, lastSeq); a replay brings the gap with true reasons. */
static void test_silence_then_replayed_resume(void) {
  struct session* s = connected_session();
  int opened = sockets_opened;
  advance_ms(2400);
  CHECK(s->socket == SOCKET_OPEN);
  s->last_received = fake_now; /* a ping came: life */
  advance_ms(2400);
  EXPECT_SEEN("");
  advance_ms(200); /* 2600 ms of silence, and the recheck 10 ms later */
  EXPECT_SEEN("reconnecting ");
  CHECK(s->phase == PHASE_RECONNECTING);
  advance_ms(60); /* first retry within 50 ms (one session in the process) */
  CHECK(sockets_opened == opened + 1);
  socket_established(s);
  const char* resume = sent[(sent_count - 1) % 8];
  CHECK(strstr(resume, "\"type\":\"resume\""));
  CHECK(strstr(resume, "\"epoch\":7") && strstr(resume, "\"lastSeq\":10"));
  receive(s, "{\"type\":\"connected\",\"protocol\":2,\"resumed\":true,\"replay\":true,"
             "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},\"resumeToken\":\"rt2\","
             "\"epoch\":7,\"seq\":10}");
  EXPECT_SEEN("reconnected ");
  receive(s, "{\"type\":\"events\",\"events\":["
             "{\"seq\":11,\"type\":\"connectionDestroyed\",\"reason\":\"forceDisconnected\",\"connection\":{\"id\":\"b\",\"data\":\"\",\"creationTime\":1}}]}");
  EXPECT_SEEN("-b:forceDisconnected ");
  run_delete(s);
}

/* A tombstone is final: on_disconnected, and no attempt ever after. */
static void test_tombstone_is_final(void) {
  struct session* s = connected_session();
  int opened = sockets_opened;
  receive(s, "{\"type\":\"disconnected\",\"reason\":\"forceDisconnected\"}");
  EXPECT_SEEN("disconnected ");
  advance_ms(60000);
  CHECK(sockets_opened == opened && s->phase == PHASE_IDLE);
  run_delete(s);
}

/* A resume the server forgot (1006) joins again with the token; the new
 * roster is reconciled, and the old own ID is never announced. */
static void test_forgotten_resume_rejoins(void) {
  struct session* s = connected_session();
  abandon_socket(s);
  socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "test");
  EXPECT_SEEN("reconnecting ");
  advance_ms(60);
  socket_established(s);
  receive(s, "{\"type\":\"error\",\"code\":1006,\"message\":\"unknown\"}");
  EXPECT_SEEN("");
  advance_ms(20);
  socket_established(s);
  CHECK(strstr(sent[(sent_count - 1) % 8], "\"type\":\"connect\""));
  receive(s, "{\"type\":\"connected\",\"protocol\":2,\"resumed\":false,"
             "\"connection\":{\"id\":\"me2\",\"data\":\"\",\"creationTime\":3},\"resumeToken\":\"rt3\","
             "\"epoch\":7,\"seq\":20,\"connections\":[{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},"
             "{\"id\":\"b\",\"data\":\"\",\"creationTime\":1},{\"id\":\"e\",\"data\":\"\",\"creationTime\":1}]}");
  EXPECT_SEEN("-a:networkDisconnected +e reconnected ");
  run_delete(s);
}

/* The first retry after a loss spreads over a window that grows with the
 * number of sessions in the process (50 ms + 1 ms per 10, at most 400). */
static otc_usec widest_first_retry(size_t sessions) {
  otc_g.session_count = sessions;
  otc_usec widest = 0;
  for (int i = 0; i < 300; i++) {
    struct session* s = connected_session();
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "test");
    EXPECT_SEEN("reconnecting ");
    otc_usec delay = s->retry_timer.due - fake_now;
    CHECK(delay >= 0);
    if (delay > widest) {
      widest = delay;
    }
    run_delete(s);
  }
  return widest;
}

static void test_retry_window_scales_with_sessions(void) {
  otc_usec one = widest_first_retry(1);
  otc_usec many = widest_first_retry(3000);
  otc_usec lots = widest_first_retry(20000);
  CHECK(one <= ms(50));
  CHECK(many > ms(250) && many <= ms(350));
  CHECK(lots > ms(300) && lots <= ms(400));
  otc_g.session_count = 0;
}

/* A disconnect while reconnecting leaves by resume then close. */
static void test_disconnect_while_reconnecting(void) {
  struct session* s = connected_session();
  abandon_socket(s);
  socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "test");
  EXPECT_SEEN("reconnecting ");
  s->user_state = USER_DISCONNECTING;
  struct command* c = calloc(1, sizeof *c);
  c->type = CMD_DISCONNECT;
  c->session = s;
  close_sent = false;
  session_run_command(c);
  free(c);
  CHECK(s->phase == PHASE_CLOSING && s->socket == SOCKET_OPENING);
  socket_established(s);
  CHECK(strstr(sent[(sent_count - 1) % 8], "\"type\":\"resume\"") && !close_sent);
  receive(s, "{\"type\":\"connected\",\"protocol\":2,\"resumed\":true,\"replay\":true,"
             "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},"
             "\"resumeToken\":\"rt2\",\"epoch\":7,\"seq\":10}");
  CHECK(close_sent); /* the close only after the resume's answer */
  abandon_socket(s); /* the server's close ends it */
  socket_failed(s, 0, NULL);
  EXPECT_SEEN("disconnected ");
  run_delete(s);
}

int main(void) {
  fake_now = ms(1000000);
  test_events_in_seq_order();
  test_silence_then_replayed_resume();
  test_tombstone_is_final();
  test_forgotten_resume_rejoins();
  test_retry_window_scales_with_sessions();
  test_disconnect_while_reconnecting();
  puts("core: ok");
  return 0;
}
