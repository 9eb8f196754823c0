/* The transport: a session's socket (a wsconn: TCP, TLS, WebSocket by wslay)
 * and its name lookups (uv_getaddrinfo on libuv's thread pool, so a slow
 * resolver stalls no session). The session's life is in life.c. */

#include "engine.h"
#include "wsconn.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* How long a resolved address is reused, so that thousands of sessions
 * reconnecting to one host resolve it once. */
#define LOOKUP_CACHE_US (10000 * OTC_US_PER_MS)

struct lookup {
  uv_getaddrinfo_t request;
  struct session* session; /* NULL once the session gave up on it */
};

static char cached_host[256];
static struct sockaddr_storage cached_address;
static otc_usec cached_at;

/* --- socket events ----------------------------------------------------------- */

static void on_open(void* owner) {
  struct session* s = owner;
  /* Until `connected` tells the server's interval (messages.c), the client's
   * own: a storm's `connected` may wait in the inbox behind other sessions'
   * messages, while the server already waits for this socket's life. */
  wsconn_show_life_every(s->conn, ms(s->settings.heartbeat_interval_ms) / 2);
  socket_established(s);
}

static void on_life(void* owner) {
  struct session* s = owner;
  s->last_received = otc_now_us();
}

static void on_message(void* owner, char* text, size_t length) {
  handle_message(owner, text, length);
}

static void on_failed(void* owner, enum wsconn_failure kind, const char* why) {
  struct session* s = owner;
  s->conn = NULL; /* gone already */
  abandon_socket(s);
  if (kind == WSCONN_PROTOCOL) {
    protocol_error(s, why);
  } else if (kind == WSCONN_MEMORY) {
    /* As messages.c's out of memory: a lost socket, so a resume fetches the
     * missed part; while connecting, the attempt ends with 2000. */
    otc_log(OTC_LOG_LEVEL_ERROR, "session %s: %s", s->session_id, why);
    socket_failed(s, OTC_SESSION_INTERNAL_ERROR, why);
  } else {
    char message[256];
    snprintf(message, sizeof message, "cannot connect to the server: %s", why);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, message);
  }
}

static const struct wsconn_events events = {
    .open = on_open, .life = on_life, .message = on_message, .failed = on_failed};

/* --- the socket's life ------------------------------------------------------- */

static void reset_socket_buffers(struct session* s) {
  free(s->outgoing);
  s->outgoing = NULL;
  s->outgoing_length = 0;
  s->ping_due = false;
  s->close_due = false;
}

static void forget_lookup(struct session* s) {
  if (s->lookup) {
    s->lookup->session = NULL; /* its answer is dropped */
    s->lookup = NULL;
  }
}

void abandon_socket(struct session* s) {
  forget_lookup(s);
  if (s->conn) {
    wsconn_abort(s->conn);
    s->conn = NULL;
  }
  s->socket = SOCKET_NONE;
  s->silence_rechecked = false;
  timer_cancel(&s->heartbeat_timer);
  reset_socket_buffers(s);
}

void release_socket(struct session* s) {
  forget_lookup(s);
  if (s->conn) {
    if (s->socket == SOCKET_OPEN) {
      wsconn_release(s->conn); /* leaves with a close frame, on its own */
    } else {
      wsconn_abort(s->conn);
    }
    s->conn = NULL;
  }
  s->socket = SOCKET_NONE;
  timer_cancel(&s->heartbeat_timer);
  reset_socket_buffers(s);
}

static void connect_to(struct session* s, struct sockaddr* address) {
  const struct server_address* server = &s->settings.server;
  if (address->sa_family == AF_INET) {
    ((struct sockaddr_in*)address)->sin_port = htons((uint16_t)server->port);
  } else {
    ((struct sockaddr_in6*)address)->sin6_port = htons((uint16_t)server->port);
  }
  struct wsconn_target target = {
      .address = address,
      .host = server->host,
      .port = server->port,
      .path = server->path,
      .tls = server->tls,
  };
  s->conn = wsconn_open(&target, &events, s);
  if (!s->conn) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "cannot open a socket to the server");
  }
}

static void looked_up(uv_getaddrinfo_t* request, int status, struct addrinfo* found) {
  struct lookup* lookup = OTC_CONTAINER_OF(request, struct lookup, request);
  struct session* s = lookup->session;
  struct sockaddr_storage address;
  bool ok = status == 0 && found && found->ai_addrlen <= sizeof address;
  if (ok) {
    memcpy(&address, found->ai_addr, found->ai_addrlen);
    if (s && strlen(s->settings.server.host) < sizeof cached_host) {
      strcpy(cached_host, s->settings.server.host);
      cached_address = address;
      cached_at = otc_now_us();
    }
  }
  uv_freeaddrinfo(found);
  free(lookup);
  if (!s) {
    return;
  }
  s->lookup = NULL;
  if (!ok) {
    char message[320];
    snprintf(message, sizeof message, "cannot resolve %s", s->settings.server.host);
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, message);
    return;
  }
  connect_to(s, (struct sockaddr*)&address);
}

void open_socket(struct session* s) {
  s->socket = SOCKET_OPENING;
  s->last_received = otc_now_us();
  schedule_heartbeat(s); /* the handshake timeout covers the lookup too */
  const char* host = s->settings.server.host;
  struct sockaddr_storage address;
  memset(&address, 0, sizeof address);
  if (uv_ip4_addr(host, 0, (struct sockaddr_in*)&address) == 0 ||
      uv_ip6_addr(host, 0, (struct sockaddr_in6*)&address) == 0) {
    connect_to(s, (struct sockaddr*)&address);
    return;
  }
  if (cached_at && otc_now_us() - cached_at < LOOKUP_CACHE_US &&
      strcmp(host, cached_host) == 0) {
    address = cached_address;
    connect_to(s, (struct sockaddr*)&address);
    return;
  }
  struct lookup* lookup = otc_calloc(1, sizeof *lookup);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (!lookup || uv_getaddrinfo(otc_g.loop, &lookup->request, looked_up, host, NULL,
                                &hints) != 0) {
    free(lookup);
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_INTERNAL_ERROR, "cannot start a name lookup");
    return;
  }
  lookup->session = s;
  s->lookup = lookup;
}

/* Sends what is due: a close due drops an unsent connect, except when leaving
 * by resume (resume first, then close). */
void socket_flush(struct session* s) {
  if (!s->conn || s->socket != SOCKET_OPEN) {
    return;
  }
  bool ok = true;
  if (s->close_due && !(s->leave_by_resume && s->outgoing)) {
    s->close_due = false;
    free(s->outgoing);
    s->outgoing = NULL;
    ok = wsconn_close(s->conn);
  } else {
    if (s->outgoing) {
      otc_log(OTC_LOG_LEVEL_DEBUG, "session %s: sending %s", s->session_id,
              s->resuming ? "resume" : "connect");
      ok = wsconn_send_text(s->conn, s->outgoing, s->outgoing_length);
      free(s->outgoing);
      s->outgoing = NULL;
    }
    if (ok && s->ping_due) {
      s->ping_due = false;
      ok = wsconn_send_ping(s->conn);
    }
    if (ok && s->close_due) {
      s->close_due = false;
      ok = wsconn_close(s->conn);
    }
  }
  if (!ok) {
    s->conn = NULL; /* wsconn aborted itself */
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "cannot write to the server");
  }
}

void socket_show_life_every(struct session* s, otc_usec period) {
  if (s->conn) {
    wsconn_show_life_every(s->conn, period);
  }
}

bool socket_has_unread_bytes(const struct session* s) {
  return s->conn && wsconn_has_unread_bytes(s->conn);
}
