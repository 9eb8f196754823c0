/* The libwebsockets transport: a session's socket and libwebsockets'
 * callbacks. The session's life (timers, reconnection) is in life.c, messages
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
/* --- socket --------------------------------------------------------------- */

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
  timer_cancel(&s->heartbeat_timer);
  reset_socket_buffers(s);
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
  s->last_received = otc_now_us();
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

bool socket_has_unread_bytes(const struct session* s) {
  lws_sockfd_type fd = s->wsi ? lws_get_socket_fd(s->wsi) : LWS_SOCK_INVALID;
  int unread = 0;
  return fd != LWS_SOCK_INVALID && ioctl(fd, FIONREAD, &unread) == 0 && unread > 0;
}

/* libwebsockets answers the server's pings without telling us, so a v2
 * server that only pings would otherwise look silent: the kernel knows. */
int64_t socket_ms_since_data(const struct session* s) {
  lws_sockfd_type fd = s->wsi ? lws_get_socket_fd(s->wsi) : LWS_SOCK_INVALID;
  struct tcp_info info;
  socklen_t length = sizeof info;
  if (fd == LWS_SOCK_INVALID || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
    return -1;
  }
  return info.tcpi_last_data_recv;
}

void socket_flush(struct session* s) {
  if (s->wsi) {
    lws_callback_on_writable(s->wsi);
  }
}

/* --- libwebsockets callbacks ---------------------------------------------- */

static void on_established(struct session* s, struct lws* wsi) {
  s->wsi = wsi;
  socket_established(s);
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
  s->last_received = otc_now_us();
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
      s->last_received = otc_now_us();
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

void release_socket(struct session* s) {
  if (s->wsi && s->socket == SOCKET_OPEN) {
    /* Leave gracefully: the socket sends its close frame on its own. */
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
}
