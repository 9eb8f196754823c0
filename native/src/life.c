/* A session's life, whatever carries its bytes: the heartbeat and silence
 * check, reconnection with backoff and jitter, giving up, ending a cycle,
 * sending connect or resume on a new socket, deleting. The sockets themselves
 * are transport.c's. */

#include "engine.h"

#include <stdio.h>
#include <stdlib.h>

/* The first reconnection attempt follows a loss within this many ms, so that a
 * live client resumes well inside the server's closed-socket grace. */
#define FIRST_RETRY_MAX_MS 50
/* ...widened by 1 ms per this many sessions in the process, up to a cap. */
#define FIRST_RETRY_SESSIONS_PER_MS 10
#define FIRST_RETRY_WINDOW_CAP_MS 400
/* How long a WebSocket handshake plus the `connected` answer may take, at least
 * (the server allows 10 s for the first frame). */
#define MIN_HANDSHAKE_TIMEOUT_MS 10000
/* How long a graceful close may take before the socket is simply dropped. */
#define CLOSE_TIMEOUT_MS 2000
/* After the silence deadline, the socket is checked once more this much later,
 * after the loop serviced whatever was ready. */
#define SILENCE_RECHECK_MS 10

/* xorshift64*: jitter only, not security. */
static uint64_t random_below(uint64_t bound) {
  static uint64_t state;
  if (state == 0) {
    state = (uint64_t)otc_now_us() * 2654435761u | 1;
  }
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return bound ? (state * 2685821657736338717u) % bound : 0;
}

/* --- heartbeat ------------------------------------------------------------ */

static void heartbeat_fired(struct otc_timer* timer);

static otc_usec silence_deadline(const struct session* s) {
  switch (s->phase) {
    case PHASE_CONNECTED:
      return s->last_received + ms(s->silence_timeout_ms);
    case PHASE_CLOSING:
      return s->close_started + ms(CLOSE_TIMEOUT_MS);
    default: {
      int timeout = s->settings.heartbeat_timeout_ms;
      return s->last_received +
             ms(timeout > MIN_HANDSHAKE_TIMEOUT_MS ? timeout : MIN_HANDSHAKE_TIMEOUT_MS);
    }
  }
}

/* The timer is not moved when frames arrive: it fires at the deadline computed
 * when it was set, and then looks at the latest `last_received`. */
void schedule_heartbeat(struct session* s) {
  otc_usec due = silence_deadline(s);
  if (s->phase == PHASE_CONNECTED && s->protocol < 2 && s->next_ping < due) {
    due = s->next_ping;
  }
  otc_usec now = otc_now_us();
  timer_schedule(&s->heartbeat_timer, heartbeat_fired, due > now ? due - now : 0);
}

/* The deadline passed, but a busy loop may simply not have serviced the
 * socket yet: wait while unread bytes wait, and give the loop one more
 * service round (timers run before sockets in each round) before deciding. */
static bool silence_confirmed(struct session* s) {
  if (s->phase == PHASE_CLOSING) {
    return true;
  }
  if (socket_has_unread_bytes(s)) {
    s->last_received = otc_now_us(); /* bytes from the server are life */
    s->silence_rechecked = false;
    return false;
  }
  bool confirmed = s->silence_rechecked;
  s->silence_rechecked = !confirmed;
  return confirmed;
}

static void heartbeat_fired(struct otc_timer* timer) {
  struct session* s = OTC_CONTAINER_OF(timer, struct session, heartbeat_timer);
  if (s->socket == SOCKET_NONE) {
    return;
  }
  otc_usec now = otc_now_us();
  if (now >= silence_deadline(s)) {
    if (!silence_confirmed(s)) {
      timer_schedule(&s->heartbeat_timer, heartbeat_fired, ms(SILENCE_RECHECK_MS));
      return;
    }
    bool connected = s->phase == PHASE_CONNECTED;
    otc_log(OTC_LOG_LEVEL_INFO, "session %s: %s", s->session_id,
            connected ? "server silent for too long" : "timed out");
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_TIMED_OUT,
                  "timed out connecting to the server");
    return;
  }
  s->silence_rechecked = false;
  if (s->phase == PHASE_CONNECTED && s->protocol < 2 && now >= s->next_ping) {
    s->ping_due = true;
    s->next_ping = now + ms(s->settings.heartbeat_interval_ms);
    socket_flush(s);
    if (s->socket == SOCKET_NONE) {
      return; /* the write failed */
    }
  }
  schedule_heartbeat(s);
}

/* --- a new socket ----------------------------------------------------------- */

void socket_established(struct session* s) {
  otc_log(OTC_LOG_LEVEL_DEBUG, "session %s: WebSocket open", s->session_id);
  s->socket = SOCKET_OPEN;
  s->last_received = otc_now_us();
  s->resuming = (s->phase == PHASE_RECONNECTING || s->leave_by_resume) && s->resume_token &&
                s->self && !s->resume_rejected;
  s->close_due = false; /* leaving by resume: after the server's answer */
  if (s->resuming) {
    s->outgoing = wire_resume_frame(s->api_key, s->session_id, connection_id(s->self), s->resume_token,
                                    s->epoch, s->last_seq, &s->outgoing_length);
  } else {
    s->outgoing = wire_connect_frame(s->api_key, s->session_id, s->token,
                                     s->settings.suppress_events, &s->outgoing_length);
  }
  if (!s->outgoing) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_INTERNAL_ERROR, "out of memory");
    return;
  }
  schedule_heartbeat(s);
  socket_flush(s);
}

/* --- session lifecycle ---------------------------------------------------- */

/* Ends the connection cycle: on_error when `code` is non-zero, then
 * on_disconnected if the session had connected or the application asked. */
void end_session(struct session* s, int64_t code, const char* message) {
  bool announced = s->announced;
  abandon_socket(s);
  timer_cancel(&s->retry_timer);
  timer_cancel(&s->give_up_timer);
  roster_clear(&s->roster);
  free(s->resume_token);
  s->resume_token = NULL;
  s->phase = PHASE_IDLE;
  s->announced = false;
  s->leave_by_resume = false;

  /* The application may connect again only once this cycle's last callback
   * has returned (or from inside it): a connect that succeeds is never
   * followed by the old cycle's on_error or on_disconnected. */
  pthread_mutex_lock(&otc_g.lock);
  bool requested = s->user_state == USER_DISCONNECTING;
  s->ending = true;
  pthread_mutex_unlock(&otc_g.lock);

  if (code) {
    emit_error(s, code, message);
  }
  if (announced || requested) {
    emit(s, s->callbacks.on_disconnected);
  }
  pthread_mutex_lock(&otc_g.lock);
  retire_self_locked(s);
  if (s->ending) { /* no connect from a callback meanwhile */
    s->user_state = USER_IDLE;
  }
  s->ending = false;
  pthread_cond_broadcast(&otc_g.callback_done); /* public calls wait for this */
  pthread_mutex_unlock(&otc_g.lock);
  leaving_ended(s);
}

static void retry_fired(struct otc_timer* timer) {
  struct session* s = OTC_CONTAINER_OF(timer, struct session, retry_timer);
  if ((s->phase == PHASE_RECONNECTING || s->phase == PHASE_CONNECTING) &&
      s->socket == SOCKET_NONE) {
    open_socket(s);
  }
}

static void give_up_fired(struct otc_timer* timer) {
  struct session* s = OTC_CONTAINER_OF(timer, struct session, give_up_timer);
  if (s->phase == PHASE_RECONNECTING) {
    char message[96];
    snprintf(message, sizeof message, "could not reconnect within %d ms",
             s->settings.give_up_after_ms);
    end_session(s, OTC_SESSION_CONNECTION_FAILED, message);
  }
}

/* The window that first attempts after a common loss spread over: wider with
 * more sessions in the process, so thousands do not reconnect in step, but
 * inside the server's 500 ms closed-socket grace. */
static int first_retry_window_ms(void) {
  pthread_mutex_lock(&otc_g.lock);
  size_t sessions = otc_g.session_count;
  pthread_mutex_unlock(&otc_g.lock);
  size_t window = FIRST_RETRY_MAX_MS + sessions / FIRST_RETRY_SESSIONS_PER_MS;
  return window < FIRST_RETRY_WINDOW_CAP_MS ? (int)window : FIRST_RETRY_WINDOW_CAP_MS;
}

/* Jittered exponential backoff; the first attempt comes almost at once. Later
 * ones wait at least the server's retryAfterMs hint, if it gave one. */
static otc_usec next_retry_delay(struct session* s) {
  int attempt = s->attempt++;
  int hint = s->retry_after_ms;
  s->retry_after_ms = 0;
  if (hint > 0) {
    return ms(hint + (int)random_below((uint64_t)first_retry_window_ms() + 1));
  }
  if (attempt == 0) {
    return ms((int)random_below((uint64_t)first_retry_window_ms() + 1));
  }
  int64_t base = s->settings.initial_backoff_ms;
  for (int i = 1; i < attempt && base < s->settings.max_backoff_ms; i++) {
    base *= 2;
  }
  if (base > s->settings.max_backoff_ms) {
    base = s->settings.max_backoff_ms;
  }
  return ms((int)(base / 2 + (int64_t)random_below((uint64_t)base / 2 + 1)));
}

void schedule_retry(struct session* s, bool at_once) {
  otc_usec delay = at_once ? 0 : next_retry_delay(s);
  timer_schedule(&s->retry_timer, retry_fired, delay);
}

void start_reconnection(struct session* s) {
  /* When the application already called otc_session_disconnect (its command
   * is queued), there is no reconnection to announce: the command then leaves
   * through a resume (run_disconnect). */
  bool announce = wants_events(s);
  s->phase = PHASE_RECONNECTING;
  s->attempt = 0;
  s->resume_rejected = false;
  if (s->settings.give_up_after_ms > 0) {
    timer_schedule(&s->give_up_timer, give_up_fired, ms(s->settings.give_up_after_ms));
  }
  otc_log(OTC_LOG_LEVEL_INFO, "session %s: connection lost, reconnecting",
          s->session_id);
  if (announce) {
    emit(s, s->callbacks.on_reconnection_started);
  }
  schedule_retry(s, false);
}

/* The current socket is gone (already forgotten); decide what comes next. */
void socket_failed(struct session* s, int64_t code, const char* message) {
  switch (s->phase) {
    case PHASE_CONNECTING:
      end_session(s, code, message);
      break;
    case PHASE_CONNECTED:
      start_reconnection(s);
      break;
    case PHASE_RECONNECTING:
      schedule_retry(s, false);
      break;
    case PHASE_CLOSING:
      end_session(s, 0, NULL);
      break;
    case PHASE_IDLE:
      break;
  }
}

void protocol_error(struct session* s, const char* message) {
  otc_log(OTC_LOG_LEVEL_WARN, "session %s: %s", s->session_id, message);
  if (s->phase == PHASE_CLOSING) {
    end_session(s, 0, NULL);
  } else {
    end_session(s, OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE, message);
  }
}

/* A disconnect or delete while reconnecting: resume the connection and close
 * it once the server answered the resume (a close that overtook the resume
 * would leave as a broken socket), so that the others see clientDisconnected
 * now rather than networkDisconnected after the server's grace. Bounded by
 * CLOSE_TIMEOUT_MS (the heartbeat timer, silence_deadline); the close follows
 * in handle_message. */
void leave_by_resume(struct session* s) {
  s->phase = PHASE_CLOSING;
  s->leave_by_resume = true;
  s->close_started = otc_now_us();
  timer_cancel(&s->retry_timer);
  timer_cancel(&s->give_up_timer);
  if (s->socket == SOCKET_NONE) {
    open_socket(s);
  } else if (s->socket == SOCKET_OPEN) {
    schedule_heartbeat(s); /* the resume is out or due: its answer brings the close */
    socket_flush(s);
  } else {
    schedule_heartbeat(s); /* socket_established sends resume, then close */
  }
}

bool may_leave_by_resume(const struct session* s) {
  return s->phase == PHASE_RECONNECTING && s->resume_token && s->self && !s->resume_rejected;
}

/* --- deleting ----------------------------------------------------------------- */

/* Deleted sessions still leaving by resume: no callback reaches the
 * application any more (they are deleted), and they are freed when the leave
 * ends (end_session), at most CLOSE_TIMEOUT_MS later, or when the loop stops. */
static struct session* leaving;
static int leaving_count;

static void free_connection_list(otc_connection* list) {
  while (list) {
    otc_connection* next = list->next;
    connection_free(list);
    list = next;
  }
}

/* Frees the session, then reports it to otc_session_delete_async's
 * on_deleted: no callback of the session runs any more (this is the library
 * thread, outside its callbacks) and its memory is gone, so the application
 * may free the callbacks' user_data there. */
static void free_session(struct session* s) {
  otc_session_deleted_callback on_deleted = s->on_deleted;
  void* on_deleted_data = s->on_deleted_data;
  otc_session* handle = s->handle;
  timer_cancel(&s->retry_timer);
  timer_cancel(&s->give_up_timer);
  timer_cancel(&s->heartbeat_timer);
  release_socket(s);
  roster_clear(&s->roster);
  free(s->token);
  free(s->resume_token);
  free_connection_list(s->self);
  free_connection_list(s->retired);
  settings_free_fields(&s->settings);
  free(s->api_key);
  free(s->session_id);
  free(s);
  if (on_deleted) {
    on_deleted(handle, on_deleted_data);
  }
}

static void unlink_leaving(struct session* s) {
  for (struct session** at = &leaving; *at; at = &(*at)->next_leaving) {
    if (*at == s) {
      *at = s->next_leaving;
      leaving_count--;
      return;
    }
  }
}

static void left(struct otc_timer* timer) {
  struct session* s = OTC_CONTAINER_OF(timer, struct session, retry_timer);
  unlink_leaving(s);
  free_session(s);
}

/* A deleted session's leave ended (from end_session): freed on the next loop
 * round, outside the calls that still hold it. */
void leaving_ended(struct session* s) {
  if (s->leaving) {
    timer_schedule(&s->retry_timer, left, 0);
  }
}

int sessions_leaving(void) {
  return leaving_count;
}

void abort_leaving_sessions(void) {
  while (leaving) {
    struct session* s = leaving;
    unlink_leaving(s);
    abandon_socket(s);
    free_session(s);
  }
}

/* Runs outside every callback of the session. A session that is reconnecting
 * leaves by resume first (peers see clientDisconnected); any other is freed
 * now, an open socket closing gracefully on its own. */
void run_delete(struct session* s) {
  if (may_leave_by_resume(s)) {
    leave_by_resume(s);
  }
  if (s->phase == PHASE_CLOSING && s->leave_by_resume) {
    s->leaving = true;
    s->next_leaving = leaving;
    leaving = s;
    leaving_count++;
    return;
  }
  free_session(s);
}
