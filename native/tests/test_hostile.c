/* A hostile server: a scripted server in this process (fake_server.h) answers the
 * client's first frame with garbage, huge or malformed messages. Each must
 * end in on_error (2001), never a crash, a hang or unbounded memory. It also
 * checks the seq rules (stale events ignored, no duplicate, no ghost). */

#include "support.h"

#include "fake_server.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>

enum mode {
  MODE_GARBAGE,
  MODE_NO_TYPE,
  MODE_BINARY,
  MODE_NESTED,
  MODE_HUGE,
  MODE_BAD_CONNECTED,
  MODE_BAD_EVENTS,
  MODE_SEQ_RULES,
  MODE_SILENT,
  MODE_ERROR_FRAME,
  MODE_AMPLIFY
};

static atomic_int mode;

#define HUGE_FRAGMENT (1024 * 1024)
#define HUGE_FRAGMENTS 20 /* 20 MiB: over the client's 16 MiB bound */

/* {"type":"events","events":[0,0,...,0]} just under the 16 MiB bound: a tree
 * decoder makes one node per zero (cJSON: 640 MiB of resident memory). */
#define AMPLIFY_BYTES (16u * 1024u * 1024u - 64u)
#define AMPLIFY_FRAGMENT (256u * 1024u)
static char* amplify_frame;

static void amplify_frame_build(void) {
  static const char prefix[] = "{\"type\":\"events\",\"events\":[";
  amplify_frame = malloc(AMPLIFY_BYTES);
  REQUIRE(amplify_frame, "malloc");
  size_t n = strlen(prefix);
  memcpy(amplify_frame, prefix, n);
  while (n + 5 < AMPLIFY_BYTES) {
    memcpy(amplify_frame + n, "0,", 2);
    n += 2;
  }
  memcpy(amplify_frame + n, "0]}", 3);
  n += 3;
  memset(amplify_frame + n, ' ', AMPLIFY_BYTES - n); /* trailing space is allowed */
}

struct peer {
  enum mode mode; /* the mode when it connected */
  int step;       /* messages or fragments sent */
  bool started;   /* got the client's first frame */
};

static atomic_int established; /* peers so far */

static const char connected_frame[] =
    "{\"type\":\"connected\",\"resumed\":false,\"sessionId\":\"h\","
    "\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1},"
    "\"resumeToken\":\"r\",\"seq\":10,"
    "\"connections\":[{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2},"
    "{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2},"
    "{\"id\":\"me\",\"data\":\"\",\"creationTime\":1}],"
    "\"heartbeat\":{\"intervalMs\":1000,\"timeoutMs\":2500},"
    "\"grace\":{\"closedMs\":500,\"silentMs\":1500}}";

static const char seq_events_frame[] =
    "{\"type\":\"events\",\"events\":["
    "{\"seq\":11,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"B\",\"data\":\"b\",\"creationTime\":3}},"
    "{\"seq\":12,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"B\",\"data\":\"b\",\"creationTime\":3}},"
    "{\"seq\":13,\"type\":\"connectionDestroyed\",\"reason\":\"clientDisconnected\",\"connection\":{\"id\":\"C\",\"data\":\"\",\"creationTime\":3}},"
    "{\"seq\":9,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"stale\",\"data\":\"\",\"creationTime\":3}},"
    "{\"seq\":13,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"repeat\",\"data\":\"\",\"creationTime\":3}},"
    "{\"seq\":14,\"type\":\"connectionCreated\",\"connection\":{\"id\":\"me\",\"data\":\"\",\"creationTime\":1}},"
    "{\"seq\":15,\"type\":\"somethingNew\",\"connection\":{\"id\":\"X\",\"data\":\"\",\"creationTime\":3}},"
    "{\"seq\":16,\"type\":\"connectionDestroyed\",\"reason\":\"forceDisconnected\",\"connection\":{\"id\":\"A\",\"data\":\"a\",\"creationTime\":2}}"
    "]}";

static int send_text(struct fake_peer* conn, const char* text, size_t length,
                     enum fake_opcode opcode, bool fin) {
  return fake_peer_send(conn, opcode, fin, text, length) ? 0 : -1;
}

static int send_string(struct fake_peer* conn, const char* text) {
  return send_text(conn, text, strlen(text), FAKE_TEXT, true);
}

static char* nested_json(int depth) {
  char* text = malloc((size_t)depth * 2 + 64);
  int n = sprintf(text, "{\"type\":\"connected\",\"x\":");
  memset(text + n, '[', (size_t)depth);
  memset(text + n + depth, ']', (size_t)depth);
  strcpy(text + n + 2 * depth, "}");
  return text;
}

/* Sends this mode's next message; returns -1 to close, 1 when more follow. */
static int send_next(struct fake_peer* conn, struct peer* peer) {
  int step = peer->step++;
  switch (peer->mode) {
    case MODE_GARBAGE:
      return step == 0 ? send_string(conn, "this is { not json") : 0;
    case MODE_NO_TYPE:
      return step == 0 ? send_string(conn, "{\"hello\":1}") : 0;
    case MODE_BINARY:
      return step == 0 ? send_text(conn, "\x01\x02\x03", 3, FAKE_BINARY, true) : 0;
    case MODE_NESTED: {
      if (step > 0) {
        return 0;
      }
      char* text = nested_json(100000);
      int result = send_string(conn, text);
      free(text);
      return result;
    }
    case MODE_HUGE: {
      if (step >= HUGE_FRAGMENTS) {
        return 0;
      }
      char* chunk = malloc(HUGE_FRAGMENT);
      memset(chunk, 'a', HUGE_FRAGMENT);
      int result = send_text(conn, chunk, HUGE_FRAGMENT, step == 0 ? FAKE_TEXT : FAKE_CONTINUATION,
                             step == HUGE_FRAGMENTS - 1);
      free(chunk);
      return result < 0 ? -1 : 1;
    }
    case MODE_BAD_CONNECTED:
      return step == 0 ? send_string(conn, "{\"type\":\"connected\",\"connection\":{\"id\":5}}") : 0;
    case MODE_BAD_EVENTS:
      if (step == 0) {
        return send_string(conn, connected_frame) < 0 ? -1 : 1;
      }
      return step == 1 ? send_string(conn, "{\"type\":\"events\",\"events\":[{\"seq\":\"x\"}]}") : 0;
    case MODE_SEQ_RULES:
      if (step == 0) {
        return send_string(conn, connected_frame) < 0 ? -1 : 1;
      }
      return step == 1 ? send_string(conn, seq_events_frame) : 0;
    case MODE_ERROR_FRAME:
      return step == 0 ? send_string(conn, "{\"type\":\"error\",\"code\":1027,\"message\":\"full\"}")
                       : 0;
    case MODE_AMPLIFY: {
      if (step == 0) {
        return send_string(conn, connected_frame) < 0 ? -1 : 1;
      }
      size_t offset = (size_t)(step - 1) * AMPLIFY_FRAGMENT;
      if (offset >= AMPLIFY_BYTES) {
        return 0;
      }
      size_t length = AMPLIFY_BYTES - offset < AMPLIFY_FRAGMENT ? AMPLIFY_BYTES - offset
                                                                : AMPLIFY_FRAGMENT;
      return send_text(conn, amplify_frame + offset, length,
                       offset == 0 ? FAKE_TEXT : FAKE_CONTINUATION,
                       offset + length == AMPLIFY_BYTES) < 0 ? -1 : 1;
    }
    case MODE_SILENT:
    default:
      return 0;
  }
}

static void peer_opened(struct fake_peer* conn) {
  struct peer* peer = fake_peer_state(conn);
  peer->mode = (enum mode)atomic_load(&mode);
  atomic_fetch_add(&established, 1);
}

/* The client's first frame starts this mode's messages; a failed send closes. */
static void peer_message(struct fake_peer* conn, const char* text, size_t length) {
  (void)text;
  (void)length;
  struct peer* peer = fake_peer_state(conn);
  if (peer->started) {
    return;
  }
  peer->started = true;
  int result;
  while ((result = send_next(conn, peer)) > 0) {
  }
  if (result < 0) {
    fake_peer_close(conn);
  }
}

static const struct fake_script hostile_script = {
    .opened = peer_opened, .message = peer_message, .state_size = sizeof(struct peer)};

static otc_session* start_client(int port, struct recorder* r) {
  otc_session_settings* settings = otc_session_settings_new();
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/v1/ws", port);
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* session =
      otc_session_new_with_settings(TEST_API_KEY, "hostile", &callbacks, settings);
  otc_session_settings_delete(settings);
  REQUIRE(session && otc_session_connect(session, "token") == OTC_SUCCESS, "connect");
  return session;
}

struct attempt {
  const char* name;
  struct recorder recorder;
  otc_session* session;
  int64_t start;
};

/* Connects a client that the server will treat in mode `m`. */
static void begin_attempt(struct attempt* a, int port, enum mode m, const char* name) {
  atomic_store(&mode, m);
  int before = atomic_load(&established);
  a->name = name;
  recorder_init(&a->recorder);
  a->start = now_ms();
  a->session = start_client(port, &a->recorder);
  int64_t deadline = now_ms() + 10000;
  while (atomic_load(&established) == before) { /* the server took the mode */
    REQUIRE(now_ms() < deadline, "%s: the server never saw the client", name);
    sleep_ms(1);
  }
}

/* The first attempt must end with on_error `code` and nothing else. */
static void finish_attempt(struct attempt* a, int code, int timeout_ms) {
  if (!recorder_wait(&a->recorder, EV_ERROR, NULL, 1, timeout_ms)) {
    recorder_dump(&a->recorder, a->name);
    REQUIRE(false, "%s: no on_error", a->name);
  }
  struct event error;
  recorder_get(&a->recorder, EV_ERROR, 0, &error);
  REQUIRE(error.error_code == code, "%s: error %d (%s), expected %d", a->name, error.error_code,
          error.data, code);
  REQUIRE(recorder_count(&a->recorder, EV_CONNECTED, NULL) == 0, "%s: connected", a->name);
  REQUIRE(otc_session_delete(a->session) == OTC_SUCCESS, "%s: delete", a->name);
  printf("%-16s on_error %d after %lld ms: %s\n", a->name, code,
         (long long)(now_ms() - a->start), error.data);
  recorder_free(&a->recorder);
}

static void expect_error(int port, enum mode m, const char* name, int code, int timeout_ms) {
  struct attempt a;
  begin_attempt(&a, port, m, name);
  finish_attempt(&a, code, timeout_ms);
}

/* Connected, then a bad message: on_error then on_disconnected. */
static void test_bad_events(int port) {
  atomic_store(&mode, MODE_BAD_EVENTS);
  struct recorder r;
  recorder_init(&r);
  otc_session* session = start_client(port, &r);
  REQUIRE(recorder_wait(&r, EV_DISCONNECTED, NULL, 1, 10000), "bad events: on_disconnected");
  REQUIRE(recorder_count(&r, EV_CONNECTED, NULL) == 1, "connected first");
  struct event error;
  REQUIRE(recorder_get(&r, EV_ERROR, 0, &error) &&
              error.error_code == OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE,
          "bad events: on_error 2001");
  REQUIRE(recorder_count(&r, EV_RECONNECTING, NULL) == 0, "a protocol error is not retried");
  otc_session_delete(session);
  recorder_free(&r);
  printf("bad events       on_error 2001 then on_disconnected\n");
}

static void test_seq_rules(int port) {
  atomic_store(&mode, MODE_SEQ_RULES);
  struct recorder r;
  recorder_init(&r);
  otc_session* session = start_client(port, &r);
  REQUIRE(recorder_wait(&r, EV_DROPPED, "A", 1, 10000), "A dropped");
  /* Roster: A (duplicated and self in the list: one created). Events: B once,
   * no ghost for C, nothing for stale/repeat/self/unknown types, A dropped. */
  REQUIRE(recorder_count(&r, EV_CREATED, NULL) == 2, "created: A and B only");
  REQUIRE(recorder_count(&r, EV_CREATED, "A") == 1 && recorder_count(&r, EV_CREATED, "B") == 1,
          "A and B");
  REQUIRE(recorder_count(&r, EV_DROPPED, NULL) == 1, "dropped: A only");
  struct event dropped;
  recorder_get(&r, EV_DROPPED, 0, &dropped);
  REQUIRE(dropped.reason == OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED, "reason");
  REQUIRE(r.duplicates == 0 && r.ghosts == 0, "duplicates %d ghosts %d", r.duplicates, r.ghosts);
  REQUIRE(strcmp(otc_connection_get_id(otc_session_get_connection(session)), "me") == 0, "self");
  otc_session_delete(session);
  recorder_free(&r);
  printf("seq rules        ok\n");
}

static long status_kib(const char* field) {
  FILE* status = fopen("/proc/self/status", "r");
  char line[256];
  long value = -1;
  size_t length = strlen(field);
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, field, length) == 0) {
      value = strtol(line + length + 1, NULL, 10);
    }
  }
  if (status) {
    fclose(status);
  }
  return value;
}

/* The amplification frame costs about its size, not a tree of 8 million
 * nodes: the resident peak grows by less than 64 MiB. Runs first, so that the
 * peak is this test's. */
static void test_amplification(int port) {
  atomic_store(&mode, MODE_AMPLIFY);
  amplify_frame_build();
  FILE* clear = fopen("/proc/self/clear_refs", "w"); /* resets the peak (VmHWM) */
  REQUIRE(clear && fputs("5", clear) >= 0 && fclose(clear) == 0, "clear_refs");
  long before = status_kib("VmRSS:");
  struct recorder r;
  recorder_init(&r);
  otc_session* session = start_client(port, &r);
  REQUIRE(recorder_wait(&r, EV_ERROR, NULL, 1, 30000), "amplification: on_error");
  struct event error;
  recorder_get(&r, EV_ERROR, 0, &error);
  REQUIRE(error.error_code == OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE, "code %d",
          error.error_code);
  long growth = status_kib("VmHWM:") - before;
  printf("amplification    on_error 2001, resident peak grew %ld MiB\n", growth / 1024);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* Sanitizers keep freed blocks (the receive buffer's growth, the fake server's
   * fragments) in quarantine: resident, but not the decoder's. */
  const long limit_mib = 128;
#else
  const long limit_mib = 64;
#endif
  REQUIRE(growth < limit_mib * 1024, "a 16 MiB frame raised the resident peak by %ld MiB",
          growth / 1024);
  otc_session_delete(session);
  recorder_free(&r);
  free(amplify_frame);
}

int main(void) {
  struct fake_server* server = fake_server_start(&hostile_script);
  int port = fake_server_port(server);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  test_amplification(port);
  const int bad = OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE;
  /* The silent server takes the 10 s handshake timeout: run the rest meanwhile. */
  struct attempt silent;
  begin_attempt(&silent, port, MODE_SILENT, "silent server");
  expect_error(port, MODE_GARBAGE, "garbage", bad, 10000);
  expect_error(port, MODE_NO_TYPE, "no type", bad, 10000);
  expect_error(port, MODE_BINARY, "binary", bad, 10000);
  expect_error(port, MODE_NESTED, "deep nesting", bad, 10000);
  expect_error(port, MODE_HUGE, "20 MiB message", bad, 20000);
  expect_error(port, MODE_BAD_CONNECTED, "bad connected", bad, 10000);
  expect_error(port, MODE_ERROR_FRAME, "error frame", OTC_SESSION_CONNECTION_LIMIT_EXCEEDED, 10000);
  test_bad_events(port);
  test_seq_rules(port);
  finish_attempt(&silent, OTC_SESSION_CONNECTION_TIMED_OUT, 20000);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  fake_server_stop(server);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("max resident set: %ld MiB\n", usage.ru_maxrss / 1024);
  /* The 20 MiB message is cut at 16 MiB; sanitizers need more headroom. */
  REQUIRE(usage.ru_maxrss / 1024 < 400, "memory bounded");
  printf("hostile tests passed\n");
  return 0;
}
