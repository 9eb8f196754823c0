/* One client WebSocket on libuv: TCP, TLS through memory BIOs, the HTTP
 * upgrade and wslay's framing (wsconn.h). Library thread only.
 *
 * wslay's frame layer, not its event layer: the event context holds two
 * 4 KiB buffers (9.4 KB per socket, over the 8 KB budget of an idle session)
 * and validates UTF-8 byte by byte (20 % of the CPU of an event storm). The
 * frame layer (4.9 KB) parses and masks frames; this file assembles messages,
 * answers pings and does the close handshake (RFC 6455 5.5). */

#include "wsconn.h"

#include "inbox.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <uv.h>
#include <wslay/wslay.h>

/* A deleted session's socket gets this long to finish its close handshake. */
#define ORPHAN_CLOSE_US (2000 * OTC_US_PER_MS)
/* The HTTP answer to the upgrade may not be longer. */
#define MAX_HEADER_BYTES 8192
/* Messages up to this size are assembled in one buffer shared by all sockets
 * (messages nearly always arrive whole in one read), so an idle socket holds
 * no receive buffer of its own. */
#define SHARED_MESSAGE_BYTES (64u * 1024u)
#define READ_BUFFER_BYTES (64u * 1024u)
/* Past this many bytes of messages read ahead and not yet applied, the
 * socket is not read until they are down to the second figure: the kernel
 * then holds the rest, and the server sees a slow reader (protocol.md). */
#define INBOX_PAUSE_BYTES (8u * 1024u * 1024u)
#define INBOX_RESUME_BYTES (2u * 1024u * 1024u)

enum wsconn_state { WS_CONNECTING, WS_TLS, WS_UPGRADE, WS_OPEN };

struct wsconn {
  uv_tcp_t tcp; /* first: the handle's address is the connection's */
  uv_connect_t connect_request;
  const struct wsconn_events* events;
  void* owner; /* NULL once aborted or released */
  enum wsconn_state state;
  bool closing; /* uv_close called; freed in its callback */
  bool orphan;
  bool broken;  /* a write failed inside an owner's call */
  SSL* ssl;     /* NULL for ws:// */
  BIO* network_in;
  BIO* network_out;
  wslay_frame_context_ptr ws;
  bool read_failed;  /* plaintext ended or TLS failed under wslay */
  bool close_sent;   /* our close frame went out; the server's ends it */
  bool frame_active; /* a frame's payload is being received */
  uint8_t frame_opcode;
  uint64_t frame_length;
  uint64_t frame_received;
  uint8_t control[125]; /* a control frame's payload (a ping's, to echo) */
  char* request; /* the upgrade request, until sent */
  size_t request_length;
  char accept[32]; /* the expected Sec-WebSocket-Accept */
  char* header;    /* the HTTP answer while upgrading */
  size_t header_length;
  size_t header_capacity;
  const char* in; /* plaintext not yet taken: a read (ws://) or leftover */
  size_t in_length;
  char* leftover; /* owns `in` when it is the bytes after the HTTP header */
  /* The message being received. */
  char* message;
  size_t message_length;
  size_t message_capacity;
  bool message_shared; /* `message` is the shared buffer */
  bool in_message;
  bool frame_control;
  bool frame_fin;
  const char* bad; /* a frame that ends the socket, once wslay returns */
  bool bad_memory; /* ...for want of memory */
  struct inbox inbox; /* messages read, not yet applied */
  bool reading_paused; /* the inbox is full */
  otc_usec last_sent;   /* when a frame of ours last went out */
  otc_usec life_period; /* 0, or: show life while reading (wsconn_show_life_every) */
  struct otc_timer orphan_timer;
};

static SSL_CTX* tls_context;
static int orphans;
static char read_buffer[READ_BUFFER_BYTES];
static char* shared_message;
static size_t shared_capacity;
static bool shared_taken;

/* --- teardown ---------------------------------------------------------------- */

static void release_message(struct wsconn* c) {
  if (c->message_shared) {
    shared_taken = false;
  } else {
    free(c->message);
  }
  c->message = NULL;
  c->message_shared = false;
  c->message_length = 0;
  c->message_capacity = 0;
  c->in_message = false;
}

static void closed(uv_handle_t* handle) {
  struct wsconn* c = (struct wsconn*)handle;
  if (c->ws) {
    wslay_frame_context_free(c->ws);
  }
  SSL_free(c->ssl); /* frees both BIOs */
  free(c->request);
  free(c->header);
  free(c->leftover);
  free(c);
}

/* Closes the socket; the memory goes when libuv is done with the handle. */
static void shut(struct wsconn* c) {
  if (c->closing) {
    return;
  }
  c->closing = true;
  c->owner = NULL;
  if (c->orphan) {
    c->orphan = false;
    orphans--;
    timer_cancel(&c->orphan_timer);
  }
  release_message(c);
  inbox_clear(&c->inbox);
  uv_close((uv_handle_t*)&c->tcp, closed);
}

/* The socket ended on its own: applies what came before the end, tells the
 * owner, then closes. */
static void finish(struct wsconn* c, enum wsconn_failure kind, const char* why) {
  inbox_drain(&c->inbox); /* the owner may abort us meanwhile */
  if (c->closing) {
    return;
  }
  void* owner = c->owner;
  c->owner = NULL;
  if (owner) {
    c->events->failed(owner, kind, why);
  }
  shut(c);
}

void wsconn_abort(struct wsconn* c) {
  shut(c);
}

/* --- writing ------------------------------------------------------------------ */

struct write_request {
  uv_write_t request;
  char data[];
};

static void written(uv_write_t* request, int status) {
  struct wsconn* c = (struct wsconn*)request->handle;
  free(request);
  if (status < 0 && status != UV_ECANCELED && !c->closing) {
    finish(c, WSCONN_NETWORK, "cannot write to the server");
  }
}

/* Writes at once what the kernel takes and queues the rest, in order. */
static bool socket_write(struct wsconn* c, const char* data, size_t length) {
  if (c->closing) {
    return false;
  }
  uv_buf_t buffer = uv_buf_init((char*)data, (unsigned)length);
  int done = uv_try_write((uv_stream_t*)&c->tcp, &buffer, 1);
  if (done == UV_EAGAIN) {
    done = 0;
  }
  if (done < 0) {
    return false;
  }
  if ((size_t)done == length) {
    return true;
  }
  size_t rest = length - (size_t)done;
  struct write_request* w = otc_malloc(sizeof *w + rest);
  if (!w) {
    return false;
  }
  memcpy(w->data, data + done, rest);
  buffer = uv_buf_init(w->data, (unsigned)rest);
  if (uv_write(&w->request, (uv_stream_t*)&c->tcp, &buffer, 1, written) != 0) {
    free(w);
    return false;
  }
  return true;
}

/* Moves TLS records that OpenSSL wrote into its memory BIO to the socket. */
static bool flush_tls(struct wsconn* c) {
  char chunk[16384];
  int n;
  while ((n = BIO_read(c->network_out, chunk, sizeof chunk)) > 0) {
    if (!socket_write(c, chunk, (size_t)n)) {
      return false;
    }
  }
  return true;
}

static bool plain_write(struct wsconn* c, const char* data, size_t length) {
  if (!c->ssl) {
    return socket_write(c, data, length);
  }
  while (length > 0) {
    int n = SSL_write(c->ssl, data, length > INT32_MAX ? INT32_MAX : (int)length);
    if (n <= 0) {
      return false;
    }
    data += n;
    length -= (size_t)n;
  }
  return flush_tls(c);
}

/* --- reading -------------------------------------------------------------------- */

/* Plaintext: first what is left over, then the read (ws://) or OpenSSL.
 * Returns the bytes copied, 0 when none is there now, -1 at the end. */
static ssize_t plain_read(struct wsconn* c, uint8_t* buffer, size_t length) {
  if (c->in_length > 0) {
    size_t n = c->in_length < length ? c->in_length : length;
    memcpy(buffer, c->in, n);
    c->in += n;
    c->in_length -= n;
    if (c->in_length == 0 && c->leftover) {
      free(c->leftover);
      c->leftover = NULL;
    }
    return (ssize_t)n;
  }
  if (!c->ssl) {
    return 0;
  }
  int n = SSL_read(c->ssl, buffer, length > INT32_MAX ? INT32_MAX : (int)length);
  if (n > 0) {
    return n;
  }
  return SSL_get_error(c->ssl, n) == SSL_ERROR_WANT_READ ? 0 : -1;
}

/* --- wslay callbacks ------------------------------------------------------------ */

static ssize_t ws_receive(uint8_t* buffer, size_t length, int flags, void* user) {
  (void)flags;
  struct wsconn* c = user;
  ssize_t n = (c->closing || c->bad) ? 0 : plain_read(c, buffer, length);
  if (n < 0) {
    c->read_failed = true;
  }
  return n > 0 ? n : -1; /* wslay: nothing more now */
}

static ssize_t ws_send(const uint8_t* data, size_t length, int flags, void* user) {
  (void)flags;
  struct wsconn* c = user;
  return plain_write(c, (const char*)data, length) ? (ssize_t)length : -1;
}

/* Masking keys: RFC 6455 wants them unpredictable to third parties on the
 * path; xorshift seeded from OpenSSL's generator. */
static int ws_mask(uint8_t* buffer, size_t length, void* user) {
  (void)user;
  static uint64_t state;
  if (state == 0 && (RAND_bytes((unsigned char*)&state, sizeof state) != 1 || state == 0)) {
    state = (uint64_t)otc_now_us() | 1;
  }
  for (size_t i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    buffer[i] = (uint8_t)state;
  }
  return 0;
}

static const struct wslay_frame_callbacks ws_callbacks = {
    .send_callback = ws_send, .recv_callback = ws_receive, .genmask_callback = ws_mask};

/* One whole frame, masked (a client's frames are). */
static bool send_frame(struct wsconn* c, uint8_t opcode, const void* data, size_t length) {
  struct wslay_frame_iocb frame = {.fin = 1, .opcode = opcode, .mask = 1,
                                   .payload_length = length, .data = data,
                                   .data_length = length};
  do {
    ssize_t sent = wslay_frame_send(c->ws, &frame);
    if (sent < 0 || c->closing) {
      return false;
    }
    frame.data += sent;
    frame.data_length -= (size_t)sent;
  } while (frame.data_length > 0);
  c->last_sent = otc_now_us();
  return true;
}

/* Room for `needed` bytes of the message being received. */
static bool reserve_message(struct wsconn* c, size_t needed) {
  if (needed <= c->message_capacity) {
    return true;
  }
  if (!c->message && !shared_taken && needed <= SHARED_MESSAGE_BYTES) {
    if (shared_capacity < needed) {
      size_t capacity = shared_capacity ? shared_capacity : 4096;
      while (capacity < needed) {
        capacity *= 2;
      }
      char* grown = otc_realloc(shared_message, capacity);
      if (!grown) {
        return false;
      }
      shared_message = grown;
      shared_capacity = capacity;
    }
    shared_taken = true;
    c->message = shared_message;
    c->message_shared = true;
    c->message_capacity = shared_capacity;
    return true;
  }
  size_t capacity = c->message_capacity ? c->message_capacity : 4096;
  while (capacity < needed) {
    capacity *= 2;
  }
  char* grown = otc_malloc(capacity);
  if (!grown) {
    return false;
  }
  if (c->message_length > 0) {
    memcpy(grown, c->message, c->message_length);
  }
  size_t length = c->message_length;
  release_message(c);
  c->message = grown;
  c->message_capacity = capacity;
  c->message_length = length;
  c->in_message = true;
  return true;
}

/* A data frame begins: binary, stray continuations and messages over
 * 16 MiB end the socket; room for the frame is made at once. */
static void data_frame_start(struct wsconn* c, uint8_t opcode, uint64_t length) {
  if (opcode == WSLAY_BINARY_FRAME) {
    c->bad = "binary frame from the server";
    return;
  }
  if (opcode == WSLAY_TEXT_FRAME) {
    if (c->in_message) {
      c->bad = "a new message inside a fragmented one";
      return;
    }
    c->message_length = 0;
    c->in_message = true;
  } else if (opcode != WSLAY_CONTINUATION_FRAME || !c->in_message) {
    c->bad = "continuation frame without a message";
    return;
  }
  if (length > OTC_MAX_MESSAGE_BYTES - c->message_length) {
    c->bad = "server message over 16 MiB";
  } else if (!reserve_message(c, c->message_length + (size_t)length)) {
    c->bad = "out of memory for a server message";
    c->bad_memory = true;
  }
}

/* A whole control frame: pings are answered, a close ends the socket (after
 * our answer, when the server began it). */
static void control_frame(struct wsconn* c, bool fin) {
  if (c->frame_opcode == WSLAY_PING) {
    if (!send_frame(c, WSLAY_PONG, c->control, (size_t)c->frame_length)) {
      finish(c, WSCONN_NETWORK, "cannot write to the server");
    }
  } else if (c->frame_opcode == WSLAY_CONNECTION_CLOSE) {
    if (!c->close_sent) {
      size_t echoed = c->frame_length >= 2 ? 2 : 0; /* the status code */
      c->close_sent = true;
      send_frame(c, WSLAY_CONNECTION_CLOSE, c->control, echoed);
    }
    finish(c, WSCONN_NETWORK, "connection closed by the server");
  } else if (c->frame_opcode != WSLAY_PONG || !fin) {
    c->bad = "unknown WebSocket control frame";
  }
}

static void frame_end(struct wsconn* c, bool fin) {
  c->frame_active = false;
  if (c->frame_opcode & 0x8) {
    control_frame(c, fin);
    return;
  }
  if (!fin) {
    return; /* more fragments follow */
  }
  c->in_message = false;
  if (!c->owner) {
    /* released: the message is dropped */
  } else if (inbox_may_apply_now(&c->inbox)) {
    c->events->message(c->owner, c->message, c->message_length);
  } else if (c->message_shared ? !inbox_push(&c->inbox, c->message, c->message_length)
                               : !inbox_push_owned(&c->inbox, c->message, c->message_length)) {
    c->bad = "out of memory for a server message";
    c->bad_memory = true;
  } else if (!c->message_shared) {
    c->message = NULL; /* the inbox owns it: a big message is not copied */
    c->message_capacity = 0;
  }
  release_message(c); /* the owner may have aborted us: memory stays until closed() */
}

/* Takes every frame that the bytes at hand complete. */
static void receive_frames(struct wsconn* c) {
  while (!c->closing && !c->bad) {
    struct wslay_frame_iocb frame;
    ssize_t received = wslay_frame_recv(c->ws, &frame);
    if (received == WSLAY_ERR_WANT_READ) {
      if (c->read_failed) {
        finish(c, WSCONN_NETWORK, "connection closed by the server");
      }
      return;
    }
    if (received < 0 || frame.rsv != 0) {
      c->bad = "malformed WebSocket frame from the server";
      return;
    }
    if (!c->frame_active) {
      c->frame_active = true;
      c->frame_opcode = frame.opcode;
      c->frame_length = frame.payload_length;
      c->frame_received = 0;
      if (!(frame.opcode & 0x8)) {
        data_frame_start(c, frame.opcode, frame.payload_length);
        if (c->bad) {
          return;
        }
      }
    }
    if (frame.data_length > 0) {
      if (c->frame_opcode & 0x8) {
        memcpy(c->control + c->frame_received, frame.data, frame.data_length);
      } else {
        memcpy(c->message + c->message_length, frame.data, frame.data_length);
        c->message_length += frame.data_length;
      }
      c->frame_received += frame.data_length;
    }
    if (c->frame_received == c->frame_length) {
      frame_end(c, frame.fin);
    }
  }
}

/* --- the upgrade ------------------------------------------------------------- */

static bool build_request(struct wsconn* c, const struct wsconn_target* target) {
  unsigned char nonce[16];
  char key[32];
  if (RAND_bytes(nonce, sizeof nonce) != 1) {
    return false;
  }
  EVP_EncodeBlock((unsigned char*)key, nonce, sizeof nonce);
  char keyed[64 + 36];
  snprintf(keyed, sizeof keyed, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1((const unsigned char*)keyed, strlen(keyed), digest);
  EVP_EncodeBlock((unsigned char*)c->accept, digest, sizeof digest);

  bool ipv6 = strchr(target->host, ':') != NULL;
  bool default_port = target->port == (target->tls ? 443 : 80);
  char port[16] = "";
  if (!default_port) {
    snprintf(port, sizeof port, ":%d", target->port);
  }
  const char* format =
      "GET %s HTTP/1.1\r\n"
      "Host: %s%s%s%s\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: %s\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "\r\n";
  int length = snprintf(NULL, 0, format, target->path, ipv6 ? "[" : "", target->host,
                        ipv6 ? "]" : "", port, key);
  c->request = otc_malloc((size_t)length + 1);
  if (!c->request) {
    return false;
  }
  snprintf(c->request, (size_t)length + 1, format, target->path, ipv6 ? "[" : "",
           target->host, ipv6 ? "]" : "", port, key);
  c->request_length = (size_t)length;
  return true;
}

static bool send_request(struct wsconn* c) {
  bool ok = plain_write(c, c->request, c->request_length);
  free(c->request);
  c->request = NULL;
  c->state = WS_UPGRADE;
  return ok;
}

/* The value of header `name` in the HTTP answer, or NULL. */
static const char* header_value(const char* header, const char* name, size_t* length) {
  size_t name_length = strlen(name);
  for (const char* line = strstr(header, "\r\n"); line; line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, name, name_length) == 0 && line[name_length] == ':') {
      const char* value = line + name_length + 1;
      value += strspn(value, " \t");
      const char* end = strstr(value, "\r\n");
      while (end > value && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
      }
      *length = (size_t)(end - value);
      return value;
    }
  }
  return NULL;
}

/* Reads the HTTP answer; true once the socket is a WebSocket (or failed:
 * then c->closing). */
static void read_upgrade(struct wsconn* c) {
  for (;;) {
    /* Small first (the answer is ~130 bytes): thousands of sockets upgrade
     * at once, and freed big buffers would stay resident between them. */
    if (c->header_length == c->header_capacity) {
      if (c->header_capacity == MAX_HEADER_BYTES) {
        finish(c, WSCONN_NETWORK, "the server's upgrade answer is too long");
        return;
      }
      size_t capacity = c->header_capacity ? 2 * c->header_capacity : 256;
      char* grown = otc_realloc(c->header, capacity + 1);
      if (!grown) {
        finish(c, WSCONN_MEMORY, "out of memory");
        return;
      }
      c->header = grown;
      c->header_capacity = capacity;
    }
    ssize_t n = plain_read(c, (uint8_t*)c->header + c->header_length,
                           c->header_capacity - c->header_length);
    if (n == 0) {
      return;
    }
    if (n < 0) {
      finish(c, WSCONN_NETWORK, "connection closed during the upgrade");
      return;
    }
    c->header_length += (size_t)n;
    c->header[c->header_length] = '\0';
    char* end = strstr(c->header, "\r\n\r\n");
    if (!end) {
      continue;
    }
    end += 4;
    size_t extra = c->header_length - (size_t)(end - c->header);
    end[-2] = '\0'; /* keeps the last header's CRLF for header_value() */
    int status = 0;
    sscanf(c->header, "HTTP/1.%*d %d", &status);
    size_t accept_length = 0;
    const char* accept = header_value(c->header, "Sec-WebSocket-Accept", &accept_length);
    char why[96];
    if (status != 101) {
      snprintf(why, sizeof why, "the server refused the WebSocket upgrade (HTTP %d)", status);
      finish(c, WSCONN_NETWORK, why);
      return;
    }
    if (!accept || accept_length != strlen(c->accept) ||
        memcmp(accept, c->accept, accept_length) != 0) {
      finish(c, WSCONN_NETWORK, "wrong Sec-WebSocket-Accept from the server");
      return;
    }
    /* What followed the header is the first WebSocket bytes; with the bytes of
     * this read still unread (ws://) it comes first. */
    if (extra > 0) {
      size_t unread = c->in_length;
      char* rest = otc_malloc(extra + unread);
      if (!rest) {
        finish(c, WSCONN_MEMORY, "out of memory");
        return;
      }
      memcpy(rest, end, extra);
      if (unread > 0) {
        memcpy(rest + extra, c->in, unread);
      }
      c->leftover = rest;
      c->in = rest;
      c->in_length = extra + unread;
    }
    free(c->header);
    c->header = NULL;
    if (wslay_frame_context_init(&c->ws, &ws_callbacks, c) != 0) {
      c->ws = NULL;
      finish(c, WSCONN_MEMORY, "out of memory");
      return;
    }
    c->state = WS_OPEN;
    if (c->owner) {
      c->events->open(c->owner);
    }
    return;
  }
}

static void tls_step(struct wsconn* c) {
  int result = SSL_do_handshake(c->ssl);
  if (!flush_tls(c)) {
    finish(c, WSCONN_NETWORK, "cannot write to the server");
    return;
  }
  if (result == 1) {
    if (!send_request(c)) {
      finish(c, WSCONN_NETWORK, "cannot write to the server");
    }
    return;
  }
  if (SSL_get_error(c->ssl, result) == SSL_ERROR_WANT_READ) {
    return;
  }
  char why[256];
  long verify = SSL_get_verify_result(c->ssl);
  if (verify != X509_V_OK) {
    snprintf(why, sizeof why, "TLS: %s", X509_verify_cert_error_string(verify));
  } else {
    unsigned long error = ERR_get_error();
    snprintf(why, sizeof why, "TLS: %s",
             error ? ERR_reason_error_string(error) : "handshake failed");
  }
  ERR_clear_error();
  finish(c, WSCONN_NETWORK, why);
}

/* --- libuv callbacks ------------------------------------------------------------ */

static void allocate(uv_handle_t* handle, size_t suggested, uv_buf_t* buffer) {
  (void)handle;
  (void)suggested;
  *buffer = uv_buf_init(read_buffer, sizeof read_buffer); /* used before the next read */
}

static void process(struct wsconn* c) {
  if (c->state == WS_TLS) {
    tls_step(c);
  }
  if (!c->closing && c->state == WS_UPGRADE) {
    read_upgrade(c);
  }
  if (!c->closing && c->state == WS_OPEN) {
    receive_frames(c);
    if (!c->closing && c->bad) {
      finish(c, c->bad_memory ? WSCONN_MEMORY : WSCONN_PROTOCOL, c->bad);
    }
  }
}

/* A socket that is reading or applying the server's frames, but has sent
 * nothing for a while, sends an unsolicited pong: the server's ping may wait
 * behind megabytes of a storm's events, and a live client must not look lost
 * while it works through them (protocol.md "Heartbeats"). */
static void show_life(struct wsconn* c) {
  if (c->life_period == 0 || !c->owner || c->closing || c->state != WS_OPEN || c->close_sent ||
      otc_now_us() - c->last_sent < c->life_period) {
    return;
  }
  if (!send_frame(c, WSLAY_PONG, NULL, 0)) {
    finish(c, WSCONN_NETWORK, "cannot write to the server");
  }
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  struct wsconn* c = (struct wsconn*)stream;
  if (c->closing || nread == 0) {
    return;
  }
  if (nread < 0) {
    finish(c, WSCONN_NETWORK, nread == UV_EOF ? "connection closed by the server"
                                     : uv_strerror((int)nread));
    return;
  }
  if (c->owner) {
    c->events->life(c->owner);
    if (c->closing) {
      return;
    }
  }
  if (c->ssl) {
    if (BIO_write(c->network_in, buffer->base, (int)nread) != (int)nread) {
      finish(c, WSCONN_MEMORY, "out of memory");
      return;
    }
  } else if (c->in_length == 0) {
    c->in = buffer->base;
    c->in_length = (size_t)nread;
  } else { /* cannot happen: every read is taken whole */
    finish(c, WSCONN_NETWORK, "unread bytes");
    return;
  }
  process(c);
  if (!c->leftover) {
    c->in_length = 0; /* the read buffer is reused */
  }
  show_life(c); /* after the pings this read answered */
  if (!c->closing && c->inbox.bytes > INBOX_PAUSE_BYTES) {
    uv_read_stop((uv_stream_t*)&c->tcp);
    c->reading_paused = true;
  }
}

/* A message read ahead is applied (inbox.c); a paused socket is read again
 * once its inbox is low. */
static void apply_message(struct inbox* box, char* text, size_t length) {
  struct wsconn* c = OTC_CONTAINER_OF(box, struct wsconn, inbox);
  if (c->owner) {
    c->events->message(c->owner, text, length);
  }
  show_life(c); /* a paused socket reads nothing, but it is applying */
  if (!c->closing && c->reading_paused && box->bytes <= INBOX_RESUME_BYTES) {
    c->reading_paused = false;
    int started = uv_read_start((uv_stream_t*)&c->tcp, allocate, on_read);
    if (started != 0) {
      finish(c, WSCONN_NETWORK, uv_strerror(started));
    }
  }
}

static void on_connect(uv_connect_t* request, int status) {
  struct wsconn* c = OTC_CONTAINER_OF(request, struct wsconn, connect_request);
  if (c->closing) {
    return;
  }
  if (status < 0) {
    finish(c, WSCONN_NETWORK, uv_strerror(status));
    return;
  }
  int started = uv_read_start((uv_stream_t*)&c->tcp, allocate, on_read);
  if (started != 0) {
    finish(c, WSCONN_NETWORK, uv_strerror(started));
  } else if (c->ssl) {
    c->state = WS_TLS;
    tls_step(c);
  } else if (!send_request(c)) {
    finish(c, WSCONN_NETWORK, "cannot write to the server");
  }
}

/* --- the API ------------------------------------------------------------------- */

static bool setup_tls(struct wsconn* c, const struct wsconn_target* target) {
  if (!tls_context) {
    return false;
  }
  c->ssl = SSL_new(tls_context);
  c->network_in = BIO_new(BIO_s_mem());
  c->network_out = BIO_new(BIO_s_mem());
  if (!c->ssl || !c->network_in || !c->network_out) {
    BIO_free(c->network_in);
    BIO_free(c->network_out);
    SSL_free(c->ssl);
    c->ssl = NULL;
    return false;
  }
  SSL_set_bio(c->ssl, c->network_in, c->network_out);
  SSL_set_connect_state(c->ssl);
  SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
  unsigned char scratch[sizeof(struct in6_addr)];
  bool numeric = inet_pton(AF_INET, target->host, scratch) == 1 ||
                 inet_pton(AF_INET6, target->host, scratch) == 1;
  if (numeric) {
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), target->host) == 1;
  }
  return SSL_set_tlsext_host_name(c->ssl, target->host) == 1 &&
         SSL_set1_host(c->ssl, target->host) == 1;
}

struct wsconn* wsconn_open(const struct wsconn_target* target,
                           const struct wsconn_events* events, void* owner) {
  struct wsconn* c = otc_calloc(1, sizeof *c);
  if (!c) {
    return NULL;
  }
  c->events = events;
  c->owner = owner;
  c->state = WS_CONNECTING;
  c->inbox.apply = apply_message;
  if (!build_request(c, target) || (target->tls && !setup_tls(c, target))) {
    SSL_free(c->ssl);
    free(c->request);
    free(c);
    return NULL;
  }
  uv_tcp_init(otc_g.loop, &c->tcp);
  int result = uv_tcp_connect(&c->connect_request, &c->tcp, target->address, on_connect);
  if (result != 0) {
    otc_log(OTC_LOG_LEVEL_WARN, "cannot open a socket: %s", uv_strerror(result));
    c->owner = NULL;
    shut(c);
    return NULL;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  return c;
}

/* A write failed inside the owner's call: abort silently (the owner handles). */
static bool broken(struct wsconn* c) {
  c->broken = true;
  shut(c);
  return false;
}

bool wsconn_send_text(struct wsconn* c, const char* text, size_t length) {
  if (c->closing || c->state != WS_OPEN || c->close_sent) {
    return false;
  }
  return send_frame(c, WSLAY_TEXT_FRAME, text, length) || broken(c);
}

bool wsconn_send_ping(struct wsconn* c) {
  if (c->closing || c->state != WS_OPEN || c->close_sent) {
    return false;
  }
  return send_frame(c, WSLAY_PING, NULL, 0) || broken(c);
}

void wsconn_show_life_every(struct wsconn* c, otc_usec period) {
  c->life_period = period > 0 ? period : 0;
}

bool wsconn_close(struct wsconn* c) {
  if (c->closing || c->state != WS_OPEN) {
    return false;
  }
  if (c->close_sent) {
    return true;
  }
  c->close_sent = true;
  uint8_t status[2] = {WSLAY_CODE_NORMAL_CLOSURE >> 8, WSLAY_CODE_NORMAL_CLOSURE & 0xff};
  return send_frame(c, WSLAY_CONNECTION_CLOSE, status, sizeof status) || broken(c);
}

static void orphan_expired(struct otc_timer* timer) {
  struct wsconn* c = OTC_CONTAINER_OF(timer, struct wsconn, orphan_timer);
  shut(c);
}

void wsconn_release(struct wsconn* c) {
  c->owner = NULL;
  inbox_clear(&c->inbox);
  if (c->closing) {
    return;
  }
  if (c->state != WS_OPEN || !wsconn_close(c)) {
    shut(c);
    return;
  }
  if (!c->closing) {
    c->orphan = true;
    orphans++;
    timer_schedule(&c->orphan_timer, orphan_expired, ORPHAN_CLOSE_US);
  }
}

bool wsconn_has_unread_bytes(const struct wsconn* c) {
  uv_os_fd_t fd;
  int unread = 0;
  if (c->closing) {
    return false;
  }
  if (c->inbox.head) {
    return true; /* read ahead, not applied yet */
  }
  if (uv_fileno((const uv_handle_t*)&c->tcp, &fd) != 0) {
    return false;
  }
  return ioctl(fd, FIONREAD, &unread) == 0 && unread > 0;
}

/* --- the library's TLS settings and orphans --------------------------------------- */

bool wsconn_global_init(void) {
  tls_context = SSL_CTX_new(TLS_client_method());
  if (!tls_context) {
    return false;
  }
  SSL_CTX_set_min_proto_version(tls_context, TLS1_2_VERSION);
  SSL_CTX_set_mode(tls_context, SSL_MODE_RELEASE_BUFFERS);
  /* The system trust store; OpenSSL honours SSL_CERT_FILE and SSL_CERT_DIR. */
  SSL_CTX_set_default_verify_paths(tls_context);
  return true;
}

void wsconn_global_free(void) {
  SSL_CTX_free(tls_context);
  tls_context = NULL;
  free(shared_message);
  shared_message = NULL;
  shared_capacity = 0;
  shared_taken = false;
}

int wsconn_orphans(void) {
  return orphans;
}

static void abort_if_orphan(uv_handle_t* handle, void* unused) {
  (void)unused;
  if (handle->type == UV_TCP && !uv_is_closing(handle)) {
    struct wsconn* c = (struct wsconn*)handle;
    if (c->orphan) {
      shut(c);
    }
  }
}

void wsconn_abort_orphans(void) {
  uv_walk(otc_g.loop, abort_if_orphan, NULL);
}
