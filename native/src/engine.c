/* The library thread's side of sessions: sockets, timers, the session's life
 * (connect, lose, reconnect, end) and libwebsockets' callbacks. Messages are
 * in messages.c, callbacks in callbacks.c, commands in commands.c. */

#define _DEFAULT_SOURCE /* struct tcp_info */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

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
/* A receive buffer larger than this is not kept by its session. */
#define KEEP_INCOMING_BYTES (64u * 1024u)

/* The opaque user data of a deleted session's socket that still sends its
 * close frame. Any other socket's opaque data is its session, or NULL for a
 * socket that was abandoned (its later callbacks are ignored). */
static char orphan_marker;
static int closing_orphans;

int session_closing_orphans(void) {
  return closing_orphans;
}



/* xorshift64*: jitter only, not security. */
static uint64_t random_below(uint64_t bound) {
  static uint64_t state;
  if (state == 0) {
    state = (uint64_t)lws_now_usecs() * 2654435761u | 1;
  }
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return bound ? (state * 2685821657736338717u) % bound : 0;
}

/* --- socket --------------------------------------------------------------- */

static void heartbeat_fired(lws_sorted_usec_list_t* timer);

static void reset_socket_buffers(struct session* s) {
  free(s->outgoing);
  s->outgoing = NULL;
  s->outgoing_length = 0;
  free(s->incoming);
  s->incoming = NULL;
  s->incoming_length = 0;
  s->incoming_capacity = 0;
  s->ping_due = false;
  s->close_due = false;
}

/* Forgets the current socket and closes it without a close frame, as a broken
 * network would (the server then keeps the connection for a resume). */
void abandon_socket(struct session* s) {
  if (s->wsi) {
    lws_set_opaque_user_data(s->wsi, NULL);
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    s->wsi = NULL;
  }
  s->socket = SOCKET_NONE;
  s->silence_rechecked = false;
  lws_sul_cancel(&s->heartbeat_timer);
  reset_socket_buffers(s);
}

static lws_usec_t silence_deadline(const struct session* s) {
  switch (s->phase) {
    case PHASE_CONNECTED:
      return s->last_received + ms(s->settings.heartbeat_timeout_ms);
    case PHASE_CLOSING:
      return s->close_started + ms(CLOSE_TIMEOUT_MS);
    default: {
      int timeout = s->settings.heartbeat_timeout_ms;
      return s->last_received +
             ms(timeout > MIN_HANDSHAKE_TIMEOUT_MS ? timeout : MIN_HANDSHAKE_TIMEOUT_MS);
    }
  }
}

void schedule_heartbeat(struct session* s) {
  lws_usec_t due = silence_deadline(s);
  if (s->phase == PHASE_CONNECTED && s->protocol < 2 && s->next_ping < due) {
    due = s->next_ping;
  }
  lws_usec_t now = lws_now_usecs();
  lws_sul_schedule(otc_g.context, 0, &s->heartbeat_timer, heartbeat_fired,
                   due > now ? due - now : 0);
}

/* Starts the WebSocket to `address` (numeric), naming the server's host in
 * the Host header, SNI and the certificate check. */
static void connect_to(struct session* s, const char* address) {
  struct lws_client_connect_info info;
  memset(&info, 0, sizeof info);
  info.context = otc_g.context;
  info.address = address;
  info.port = s->settings.server.port;
  info.path = s->settings.server.path;
  info.host = s->settings.server.host;
  info.origin = s->settings.server.host;
  info.ssl_connection = s->settings.server.tls ? LCCSCF_USE_SSL : 0;
  info.ietf_version_or_minus_one = -1;
  info.local_protocol_name = "rollcall";
  info.opaque_user_data = s;

  struct lws* wsi = lws_client_connect_via_info(&info);
  if (s->socket != SOCKET_OPENING || s->wsi) {
    return; /* a callback during the call already took over */
  }
  if (!wsi) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "cannot open a socket to the server");
    return;
  }
  s->wsi = wsi;
}

void open_socket(struct session* s) {
  s->socket = SOCKET_OPENING;
  s->last_received = lws_now_usecs();
  s->resolve_attempt++;
  schedule_heartbeat(s); /* the handshake timeout covers the lookup too */
  if (resolve_is_numeric(s->settings.server.host)) {
    connect_to(s, s->settings.server.host);
  } else if (!resolve_request(s)) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_INTERNAL_ERROR, "out of memory");
  }
}

/* The resolver's answer for attempt `attempt`; stale answers are ignored. */
void run_resolved(struct session* s, uint32_t attempt, const char* address) {
  if (s->socket != SOCKET_OPENING || s->wsi || attempt != s->resolve_attempt) {
    return;
  }
  if (!address) {
    char message[320];
    snprintf(message, sizeof message, "cannot resolve %s", s->settings.server.host);
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, message);
    return;
  }
  connect_to(s, address);
}

/* --- session lifecycle ---------------------------------------------------- */

/* Ends the connection cycle: on_error when `code` is non-zero, then
 * on_disconnected if the session had connected or the application asked. */
void end_session(struct session* s, int64_t code, const char* message) {
  bool announced = s->announced;
  abandon_socket(s);
  lws_sul_cancel(&s->retry_timer);
  lws_sul_cancel(&s->give_up_timer);
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
}

static void retry_fired(lws_sorted_usec_list_t* timer) {
  struct session* s = lws_container_of(timer, struct session, retry_timer);
  if ((s->phase == PHASE_RECONNECTING || s->phase == PHASE_CONNECTING) &&
      s->socket == SOCKET_NONE) {
    open_socket(s);
  }
}

static void give_up_fired(lws_sorted_usec_list_t* timer) {
  struct session* s = lws_container_of(timer, struct session, give_up_timer);
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
static lws_usec_t next_retry_delay(struct session* s) {
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
  lws_usec_t delay = at_once ? 0 : next_retry_delay(s);
  lws_sul_schedule(otc_g.context, 0, &s->retry_timer, retry_fired, delay);
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
    lws_sul_schedule(otc_g.context, 0, &s->give_up_timer, give_up_fired,
                     ms(s->settings.give_up_after_ms));
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

/* Whether the server sent bytes that the loop has not read yet. */
static bool socket_has_unread_bytes(const struct session* s) {
  lws_sockfd_type fd = s->wsi ? lws_get_socket_fd(s->wsi) : LWS_SOCK_INVALID;
  int unread = 0;
  return fd != LWS_SOCK_INVALID && ioctl(fd, FIONREAD, &unread) == 0 && unread > 0;
}

/* Milliseconds since the kernel last received data on the socket, or -1.
 * libwebsockets answers the server's pings without telling us, so a v2
 * server that only pings would otherwise look silent. */
static int64_t ms_since_data_received(const struct session* s) {
  lws_sockfd_type fd = s->wsi ? lws_get_socket_fd(s->wsi) : LWS_SOCK_INVALID;
  struct tcp_info info;
  socklen_t length = sizeof info;
  if (fd == LWS_SOCK_INVALID || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
    return -1;
  }
  return info.tcpi_last_data_recv;
}

/* The deadline passed, but a busy loop may simply not have serviced the
 * socket yet: wait while unread bytes wait, and give the loop one more
 * service round (timers run before sockets in each round) before deciding. */
static bool silence_confirmed(struct session* s) {
  if (s->phase == PHASE_CLOSING) {
    return true;
  }
  if (socket_has_unread_bytes(s)) {
    /* Bytes from the server are life, even if they turn out to be pings,
     * which libwebsockets answers without telling us. */
    s->last_received = lws_now_usecs();
    s->silence_rechecked = false;
    return false;
  }
  int64_t quiet_ms = ms_since_data_received(s);
  if (s->phase == PHASE_CONNECTED && quiet_ms >= 0 &&
      quiet_ms < s->settings.heartbeat_timeout_ms) {
    /* Read already, but bytes came: pings answered inside libwebsockets. */
    s->last_received = lws_now_usecs() - ms((int)quiet_ms);
    s->silence_rechecked = false;
    return false;
  }
  bool confirmed = s->silence_rechecked;
  s->silence_rechecked = !confirmed;
  return confirmed;
}

static void heartbeat_fired(lws_sorted_usec_list_t* timer) {
  struct session* s = lws_container_of(timer, struct session, heartbeat_timer);
  if (s->socket == SOCKET_NONE) {
    return;
  }
  lws_usec_t now = lws_now_usecs();
  if (now >= silence_deadline(s)) {
    if (!silence_confirmed(s)) {
      lws_sul_schedule(otc_g.context, 0, &s->heartbeat_timer, heartbeat_fired,
                       ms(SILENCE_RECHECK_MS));
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
    lws_callback_on_writable(s->wsi);
  }
  schedule_heartbeat(s);
}

/* --- libwebsockets callbacks ---------------------------------------------- */

static void on_established(struct session* s, struct lws* wsi) {
  otc_log(OTC_LOG_LEVEL_DEBUG, "session %s: WebSocket open", s->session_id);
  s->wsi = wsi;
  s->socket = SOCKET_OPEN;
  s->last_received = lws_now_usecs();
  s->resuming = (s->phase == PHASE_RECONNECTING || s->leave_by_resume) && s->resume_token &&
                s->self && !s->resume_rejected;
  s->close_due = s->leave_by_resume;
  if (s->resuming) {
    s->outgoing = wire_resume_frame(s->api_key, s->session_id, s->self->id, s->resume_token,
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
  lws_callback_on_writable(wsi);
  schedule_heartbeat(s);
}

/* One receive buffer for messages over KEEP_INCOMING_BYTES, kept between
 * messages so that big rosters and batches do not each cost a fresh large
 * allocation (and the heap consolidation that comes with it). */
static char* spare_incoming;
static size_t spare_incoming_capacity;

void session_release_buffers(void) {
  free(spare_incoming);
  spare_incoming = NULL;
  spare_incoming_capacity = 0;
}

/* Makes room for `needed` bytes in the session's receive buffer. */
static bool reserve_incoming(struct session* s, size_t needed) {
  if (needed <= s->incoming_capacity) {
    return true;
  }
  if (s->incoming_length == 0 && spare_incoming && spare_incoming_capacity >= needed) {
    free(s->incoming);
    s->incoming = spare_incoming;
    s->incoming_capacity = spare_incoming_capacity;
    spare_incoming = NULL;
    spare_incoming_capacity = 0;
    return true;
  }
  size_t capacity = s->incoming_capacity ? s->incoming_capacity : 4096;
  while (capacity < needed) {
    capacity *= 2;
  }
  char* grown = otc_realloc(s->incoming, capacity);
  if (!grown) {
    return false;
  }
  s->incoming = grown;
  s->incoming_capacity = capacity;
  return true;
}

/* Keeps a receive buffer for the next message: small ones with their session
 * (while its socket lasts), the largest big one library-wide. */
static void recycle_incoming(struct session* s, char* buffer, size_t capacity) {
  if (capacity <= KEEP_INCOMING_BYTES && s->socket == SOCKET_OPEN && !s->incoming) {
    s->incoming = buffer;
    s->incoming_capacity = capacity;
  } else if (capacity > KEEP_INCOMING_BYTES && capacity > spare_incoming_capacity) {
    free(spare_incoming);
    spare_incoming = buffer;
    spare_incoming_capacity = capacity;
  } else {
    free(buffer);
  }
}

static void on_receive(struct session* s, struct lws* wsi, char* data, size_t length) {
  s->last_received = lws_now_usecs();
  if (lws_frame_is_binary(wsi)) {
    protocol_error(s, "binary frame from the server");
    return;
  }
  bool first = lws_is_first_fragment(wsi);
  bool final = lws_is_final_fragment(wsi);
  if (first && final) {
    s->incoming_length = 0;
    handle_message(s, data, length); /* the usual case: parsed where lws keeps it */
    return;
  }
  if (first) {
    s->incoming_length = 0;
  }
  size_t to_come = lws_remaining_packet_payload(wsi);
  if (length > OTC_MAX_MESSAGE_BYTES - s->incoming_length ||
      to_come > OTC_MAX_MESSAGE_BYTES - s->incoming_length - length) {
    protocol_error(s, "server message over 16 MiB");
    return;
  }
  /* Room for the rest of the frame at once: no copy per fragment. */
  if (!reserve_incoming(s, s->incoming_length + length + to_come)) {
    protocol_error(s, "out of memory for a server message");
    return;
  }
  memcpy(s->incoming + s->incoming_length, data, length);
  s->incoming_length += length;
  if (!final) {
    return;
  }
  /* Take the buffer: handling the message may abandon the socket. */
  char* message = s->incoming;
  size_t capacity = s->incoming_capacity;
  size_t message_length = s->incoming_length;
  s->incoming = NULL;
  s->incoming_length = 0;
  s->incoming_capacity = 0;
  handle_message(s, message, message_length);
  recycle_incoming(s, message, capacity);
}

static int on_writeable(struct session* s, struct lws* wsi) {
  if (s->close_due && !(s->leave_by_resume && s->outgoing)) {
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1; /* libwebsockets sends the close frame and waits for the answer */
  }
  int written = 0;
  if (s->outgoing) {
    otc_log(OTC_LOG_LEVEL_DEBUG, "session %s: sending %s", s->session_id,
            s->resuming ? "resume" : "connect");
    written = lws_write(wsi, (unsigned char*)s->outgoing + LWS_PRE,
                        s->outgoing_length, LWS_WRITE_TEXT);
    free(s->outgoing);
    s->outgoing = NULL;
  } else if (s->ping_due) {
    unsigned char ping[LWS_PRE + 1];
    written = lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING);
    s->ping_due = false;
  }
  if (written < 0) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "cannot write to the server");
    return 0;
  }
  if (s->ping_due || s->close_due) {
    lws_callback_on_writable(wsi);
  }
  return 0;
}

static void on_socket_gone(struct session* s, struct lws* wsi, const char* why) {
  lws_set_opaque_user_data(wsi, NULL);
  s->wsi = NULL;
  abandon_socket(s);
  char message[256];
  snprintf(message, sizeof message, "cannot connect to the server: %s", why);
  socket_failed(s, OTC_SESSION_CONNECTION_FAILED, message);
}

static int orphan_callback(struct lws* wsi, enum lws_callback_reasons reason) {
  if (reason == LWS_CALLBACK_CLIENT_WRITEABLE) {
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1;
  }
  if (reason == LWS_CALLBACK_WSI_DESTROY) {
    lws_set_opaque_user_data(wsi, NULL);
    closing_orphans--;
  }
  return 0;
}

int session_lws_callback(struct lws* wsi, enum lws_callback_reasons reason,
                         void* in, size_t len) {
  void* opaque = wsi ? lws_get_opaque_user_data(wsi) : NULL;
  if (opaque == &orphan_marker) {
    return orphan_callback(wsi, reason);
  }
  struct session* s = opaque;
  if (!s) {
    return 0; /* not ours, or abandoned */
  }
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      on_established(s, wsi);
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      on_receive(s, wsi, in, len); /* lws's receive buffer: ours to rewrite */
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      s->last_received = lws_now_usecs();
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return on_writeable(s, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      char why[160];
      snprintf(why, sizeof why, "%.*s", in ? (int)len : 0, in ? (const char*)in : "");
      on_socket_gone(s, wsi, why[0] ? why : "connection error");
      break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      on_socket_gone(s, wsi, "connection closed by the server");
      break;
    default:
      break;
  }
  return 0;
}

static void free_connection_list(otc_connection* list) {
  while (list) {
    otc_connection* next = list->next;
    connection_free(list);
    list = next;
  }
}

/* Runs outside every callback of the session, so freeing it is safe. */
void run_delete(struct session* s) {
  lws_sul_cancel(&s->retry_timer);
  lws_sul_cancel(&s->give_up_timer);
  if (s->wsi && s->socket == SOCKET_OPEN) {
    /* Leave gracefully: the socket sends its close frame on its own. */
    lws_sul_cancel(&s->heartbeat_timer);
    lws_set_opaque_user_data(s->wsi, &orphan_marker);
    closing_orphans++;
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
    lws_callback_on_writable(s->wsi);
    s->wsi = NULL;
    s->socket = SOCKET_NONE;
    reset_socket_buffers(s);
  } else {
    abandon_socket(s);
  }
  roster_clear(&s->roster);
  free(s->token);
  free(s->resume_token);
  free_connection_list(s->self);
  free_connection_list(s->retired);
  settings_free_fields(&s->settings);
  free(s->api_key);
  free(s->session_id);
  free(s);
}
