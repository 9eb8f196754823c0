/* libFuzzer target over the protocol core: a session (messages.c,
 * callbacks.c, life.c, commands.c) fed server frames through the fake
 * transport and clock of native/tests/fake_transport.c. The input is frames
 * separated by newlines; between frames the clock moves 700 ms (so silence,
 * retries and give-up happen), a socket being opened opens, and an ended
 * session connects again. Checked after every frame: the roster holds exactly
 * the connections announced and not dropped. Built and run by
 * fuzz_test.cmake (ctest `fuzz_core`). */

#include "fake_transport.h"

#include <stdlib.h>
#include <string.h>

static long announced; /* created minus dropped in the current cycle */

static void on_created(otc_session* h, void* u, const otc_connection* c) {
  (void)h, (void)u;
  if (!otc_connection_get_id(c) || !otc_connection_get_data(c)) {
    abort();
  }
  announced++;
}
static void on_dropped(otc_session* h, void* u, const otc_connection* c) {
  (void)h, (void)u, (void)c;
  announced--;
}
static void on_disconnected(otc_session* h, void* u) {
  (void)h, (void)u;
  announced = 0;
}

static void connect_session(struct session* s) {
  free(s->token);
  s->token = strdup("tok");
  s->user_state = USER_ACTIVE;
  s->last_seq = -1;
  s->phase = PHASE_CONNECTING;
  s->attempt = 1;
  s->connect_started = fake_now;
  open_socket(s);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  struct session* s = calloc(1, sizeof *s);
  s->api_key = strdup("key");
  s->session_id = strdup("room");
  settings_defaults(&s->settings);
  s->callbacks = (struct otc_session_callbacks){.on_connection_created = on_created,
                                                .on_connection_dropped = on_dropped,
                                                .on_disconnected = on_disconnected};
  roster_init(&s->roster);
  announced = 0;
  fake_now = ms(1000000);
  connect_session(s);

  char* input = malloc(size + 1);
  memcpy(input, data, size);
  input[size] = '\0';
  for (char *frame = input, *end; frame; frame = end ? end + 1 : NULL) {
    end = memchr(frame, '\n', size - (size_t)(frame - input));
    size_t length = end ? (size_t)(end - frame) : size - (size_t)(frame - input);
    if (s->phase == PHASE_IDLE) {
      connect_session(s);
    }
    if (s->socket == SOCKET_OPENING) {
      socket_established(s);
    }
    if (s->socket == SOCKET_OPEN) {
      char* copy = malloc(length + 1); /* the core rewrites frames in place */
      memcpy(copy, frame, length);
      s->last_received = fake_now;
      handle_message(s, copy, length);
      free(copy);
    }
    if (s->phase != PHASE_IDLE && (long)s->roster.count != announced) {
      abort();
    }
    advance_ms(700);
  }
  free(input);
  run_delete(s);
  fake_timers_reset();
  return 0;
}
