#ifndef OTC_WSCONN_H
#define OTC_WSCONN_H

/* One client WebSocket on the library thread's libuv loop (wsconn.c):
 * TCP (uv_tcp), TLS through OpenSSL memory BIOs, the HTTP upgrade (written
 * here, Sec-WebSocket-Accept checked) and RFC 6455 framing by wslay (masking,
 * fragments, pongs to pings, the close handshake). It knows nothing of the
 * protocol: text messages go to its owner whole. Not installed. */

#include "internal.h"

#include <sys/socket.h>

struct wsconn;

/* What a WebSocket tells its owner; none is called after wsconn_abort() or
 * wsconn_release(). `failed` is the last call: the socket is gone then. */
enum wsconn_failure {
  WSCONN_NETWORK,  /* the socket broke, closed, or the handshake failed */
  WSCONN_PROTOCOL, /* a frame not allowed: binary, over 16 MiB */
  WSCONN_MEMORY    /* out of memory */
};

struct wsconn_events {
  void (*open)(void* owner);
  /* Bytes came from the server (any frame is life); once per read. */
  void (*life)(void* owner);
  /* A whole text message, in a buffer the owner may rewrite during the call. */
  void (*message)(void* owner, char* text, size_t length);
  /* The socket ended: error, close handshake done, a frame not allowed. */
  void (*failed)(void* owner, enum wsconn_failure kind, const char* why);
};

struct wsconn_target {
  const struct sockaddr* address; /* numeric; port set */
  const char* host;               /* Host header, SNI, certificate name */
  int port;
  const char* path;
  bool tls;
};

/* Starts connecting; NULL when out of memory or the socket cannot be made. */
struct wsconn* wsconn_open(const struct wsconn_target* target,
                           const struct wsconn_events* events, void* owner);
/* Sends a text message (copied). These three return false when the socket
 * failed: it is then aborted, and `failed` is not called (the caller, which
 * is the owner, handles it). */
bool wsconn_send_text(struct wsconn* c, const char* text, size_t length);
bool wsconn_send_ping(struct wsconn* c);
/* From now on, while frames are read or applied, an unsolicited pong goes out
 * whenever nothing was sent for `period` (0: never). A write failure ends the
 * socket as a broken network (`failed`). */
void wsconn_show_life_every(struct wsconn* c, otc_usec period);
/* Starts the close handshake (status 1000); `failed` follows when it is done. */
bool wsconn_close(struct wsconn* c);
/* Closes the socket without a close frame, as a broken network; silent. */
void wsconn_abort(struct wsconn* c);
/* The owner leaves: an open socket closes gracefully on its own (bounded in
 * time), another is aborted. Silent. */
void wsconn_release(struct wsconn* c);
/* Whether bytes from the server wait to be applied: in the kernel, unread,
 * or read ahead (inbox.h). */
bool wsconn_has_unread_bytes(const struct wsconn* c);

/* For the loop (loop.c): TLS settings at otc_init, and sockets of deleted
 * sessions still closing gracefully. */
bool wsconn_global_init(void);
void wsconn_global_free(void);
int wsconn_orphans(void);
/* Aborts every orphan (the stop grace ended). */
void wsconn_abort_orphans(void);

#endif /* OTC_WSCONN_H */
