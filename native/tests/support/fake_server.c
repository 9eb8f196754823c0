/* A scripted WebSocket server for tests (fake_server.h): plain blocking
 * sockets, a thread per connection, wslay's frame layer. */

#include "fake_server.h"

#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define MAX_HEADER_BYTES 8192

struct fake_peer {
  struct fake_peer* next;
  const struct fake_script* script;
  int fd;
  pthread_t thread;
  wslay_frame_context_ptr ws;
  bool ended;           /* the client closed, a write failed, or a frame was bad */
  bool close_requested; /* by the script */
  bool frame_active;
  uint8_t frame_opcode;
  uint64_t frame_length;
  uint64_t frame_received;
  uint8_t control[125];
  char* message; /* the text message being received */
  size_t message_length;
  size_t message_capacity;
  void* state;
};

struct fake_server {
  const struct fake_script* script;
  int listen_fd;
  int port;
  int wake[2]; /* written by stop: ends the accepting thread */
  pthread_t thread;
  pthread_mutex_t lock;
  struct fake_peer* peers; /* lock */
};

/* --- wslay's callbacks ------------------------------------------------------- */

static ssize_t ws_send(const uint8_t* data, size_t length, int flags, void* user) {
  (void)flags;
  struct fake_peer* p = user;
  for (size_t done = 0; done < length;) {
    ssize_t n = send(p->fd, data + done, length - done, MSG_NOSIGNAL);
    if (n <= 0) {
      p->ended = true;
      return -1;
    }
    done += (size_t)n;
  }
  return (ssize_t)length;
}

static ssize_t ws_receive(uint8_t* buffer, size_t length, int flags, void* user) {
  (void)flags;
  struct fake_peer* p = user;
  ssize_t n = recv(p->fd, buffer, length, MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    p->ended = true;
  }
  return n > 0 ? n : -1; /* wslay: nothing more now */
}

static int ws_mask(uint8_t* buffer, size_t length, void* user) {
  (void)user;
  memset(buffer, 0, length); /* a server does not mask */
  return 0;
}

static const struct wslay_frame_callbacks ws_callbacks = {
    .send_callback = ws_send, .recv_callback = ws_receive, .genmask_callback = ws_mask};

/* --- the peer's side of the API ---------------------------------------------------- */

bool fake_peer_send(struct fake_peer* p, enum fake_opcode opcode, bool fin, const void* data,
                    size_t length) {
  struct wslay_frame_iocb frame = {.fin = fin, .opcode = (uint8_t)opcode, .mask = 0,
                                   .payload_length = length, .data = data,
                                   .data_length = length};
  do {
    ssize_t sent = p->ended ? -1 : wslay_frame_send(p->ws, &frame);
    if (sent < 0) {
      p->ended = true;
      return false;
    }
    frame.data += sent;
    frame.data_length -= (size_t)sent;
  } while (frame.data_length > 0);
  return true;
}

bool fake_peer_send_text(struct fake_peer* p, const char* text) {
  return fake_peer_send(p, FAKE_TEXT, true, text, strlen(text));
}

void fake_peer_close(struct fake_peer* p) {
  p->close_requested = true;
}

void* fake_peer_state(struct fake_peer* p) {
  return p->state;
}

int fake_peer_fd(const struct fake_peer* p) {
  return p->fd;
}

/* --- a connection ------------------------------------------------------------------ */

/* Reads the upgrade request (byte by byte: nothing of the client's first
 * frame is read with it) and answers 101 with its Sec-WebSocket-Accept. */
static bool upgrade(struct fake_peer* p) {
  char header[MAX_HEADER_BYTES + 1];
  size_t length = 0;
  while (length < 4 || memcmp(header + length - 4, "\r\n\r\n", 4) != 0) {
    if (length == MAX_HEADER_BYTES || recv(p->fd, header + length, 1, 0) != 1) {
      return false;
    }
    length++;
  }
  header[length] = '\0';
  const char* key = NULL;
  for (char* line = strstr(header, "\r\n"); line && !key; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "Sec-WebSocket-Key:", 18) == 0) {
      key = line + 2 + 18 + strspn(line + 2 + 18, " ");
    }
  }
  if (!key) {
    return false;
  }
  char keyed[128];
  snprintf(keyed, sizeof keyed, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
           (int)strcspn(key, " \r"), key);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1((const unsigned char*)keyed, strlen(keyed), digest);
  char accept[32];
  EVP_EncodeBlock((unsigned char*)accept, digest, sizeof digest);
  char answer[256];
  int n = snprintf(answer, sizeof answer,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
  return ws_send((const uint8_t*)answer, (size_t)n, 0, p) == n;
}

static void frame_end(struct fake_peer* p, bool fin) {
  p->frame_active = false;
  switch (p->frame_opcode) {
    case FAKE_PING:
      fake_peer_send(p, 0xa, true, p->control, (size_t)p->frame_length); /* pong */
      break;
    case 0x8: /* close: answer with its status, and end */
      fake_peer_send(p, 0x8, true, p->control, p->frame_length >= 2 ? 2 : 0);
      p->ended = true;
      break;
    case FAKE_TEXT:
    case FAKE_CONTINUATION:
      if (fin && p->script->message) {
        p->script->message(p, p->message, p->message_length);
      }
      if (fin) {
        p->message_length = 0;
      }
      break;
    case 0xa:
      if (p->script->pong) {
        p->script->pong(p, (const char*)p->control, (size_t)p->frame_length);
      }
      break;
    default: /* binary frames are ignored */
      break;
  }
}

/* Takes every frame (or part) that the bytes at hand bring. */
static void receive(struct fake_peer* p) {
  while (!p->ended && !p->close_requested) {
    struct wslay_frame_iocb frame;
    ssize_t received = wslay_frame_recv(p->ws, &frame);
    if (received < 0) {
      if (received != WSLAY_ERR_WANT_READ) {
        p->ended = true; /* a frame not allowed */
      }
      return;
    }
    if (!p->frame_active) {
      p->frame_active = true;
      p->frame_opcode = frame.opcode;
      p->frame_length = frame.payload_length;
      p->frame_received = 0;
    }
    if (frame.data_length > 0) {
      if (p->frame_opcode & 0x8) {
        memcpy(p->control + p->frame_received, frame.data, frame.data_length);
      } else if (p->frame_opcode != FAKE_BINARY) {
        if (p->message_length + frame.data_length + 1 > p->message_capacity) {
          p->message_capacity = 2 * (p->message_length + frame.data_length + 1);
          p->message = realloc(p->message, p->message_capacity);
          REQUIRE(p->message, "fake server: out of memory");
        }
        memcpy(p->message + p->message_length, frame.data, frame.data_length);
        p->message_length += frame.data_length;
      }
      p->frame_received += frame.data_length;
    }
    if (p->frame_received == p->frame_length) {
      frame_end(p, frame.fin);
    }
  }
}

static void* peer_main(void* argument) {
  struct fake_peer* p = argument;
  const struct fake_script* script = p->script;
  if (upgrade(p) && wslay_frame_context_init(&p->ws, &ws_callbacks, p) == 0) {
    if (script->opened) {
      script->opened(p);
    }
    int64_t next_tick = now_ms() + script->tick_ms;
    while (!p->ended && !p->close_requested) {
      int timeout = -1;
      if (script->tick) {
        int64_t left = next_tick - now_ms();
        timeout = left > 0 ? (int)left : 0;
      }
      struct pollfd ready = {.fd = p->fd, .events = POLLIN};
      if (poll(&ready, 1, timeout) > 0) {
        receive(p);
      }
      if (script->tick && !p->ended && !p->close_requested && now_ms() >= next_tick) {
        script->tick(p);
        next_tick = now_ms() + script->tick_ms;
      }
    }
    if (p->close_requested && !p->ended) {
      static const uint8_t normal[2] = {0x03, 0xe8}; /* 1000 */
      fake_peer_send(p, 0x8, true, normal, sizeof normal);
    }
  }
  shutdown(p->fd, SHUT_RDWR); /* the fd is closed by fake_server_stop */
  return NULL;
}

/* --- the server -------------------------------------------------------------------- */

static void* accept_main(void* argument) {
  struct fake_server* server = argument;
  for (;;) {
    struct pollfd ready[2] = {{.fd = server->listen_fd, .events = POLLIN},
                              {.fd = server->wake[0], .events = POLLIN}};
    if (poll(ready, 2, -1) < 0 || ready[1].revents) {
      return NULL;
    }
    int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    struct fake_peer* p = calloc(1, sizeof *p);
    REQUIRE(p, "fake server: out of memory");
    p->fd = fd;
    p->script = server->script;
    p->state = calloc(1, server->script->state_size ? server->script->state_size : 1);
    REQUIRE(p->state, "fake server: out of memory");
    pthread_mutex_lock(&server->lock);
    p->next = server->peers;
    server->peers = p;
    REQUIRE(pthread_create(&p->thread, NULL, peer_main, p) == 0, "fake server: thread");
    pthread_mutex_unlock(&server->lock);
  }
}

struct fake_server* fake_server_start(const struct fake_script* script) {
  struct fake_server* server = calloc(1, sizeof *server);
  REQUIRE(server, "fake server: out of memory");
  server->script = script;
  pthread_mutex_init(&server->lock, NULL);
  server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  REQUIRE(server->listen_fd >= 0 &&
              bind(server->listen_fd, (struct sockaddr*)&address, sizeof address) == 0 &&
              listen(server->listen_fd, 64) == 0 &&
              getsockname(server->listen_fd, (struct sockaddr*)&address, &length) == 0,
          "fake server: listen");
  server->port = ntohs(address.sin_port);
  REQUIRE(pipe2(server->wake, O_CLOEXEC) == 0, "fake server: pipe");
  REQUIRE(pthread_create(&server->thread, NULL, accept_main, server) == 0,
          "fake server: thread");
  return server;
}

int fake_server_port(const struct fake_server* server) {
  return server->port;
}

void fake_server_stop(struct fake_server* server) {
  REQUIRE(write(server->wake[1], "x", 1) == 1, "fake server: wake");
  pthread_join(server->thread, NULL); /* no new peer from here on */
  for (struct fake_peer* p = server->peers; p; p = p->next) {
    shutdown(p->fd, SHUT_RDWR); /* ends its thread's poll or blocking call */
  }
  while (server->peers) {
    struct fake_peer* p = server->peers;
    server->peers = p->next;
    pthread_join(p->thread, NULL);
    close(p->fd);
    if (p->ws) {
      wslay_frame_context_free(p->ws);
    }
    free(p->message);
    free(p->state);
    free(p);
  }
  close(server->listen_fd);
  close(server->wake[0]);
  close(server->wake[1]);
  pthread_mutex_destroy(&server->lock);
  free(server);
}
