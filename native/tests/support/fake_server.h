#ifndef OTC_TEST_FAKE_SERVER_H
#define OTC_TEST_FAKE_SERVER_H

/* A scripted WebSocket server in the test's own process, for the tests that
 * need a server to misbehave on purpose (test_hostile, test_v2): plain
 * blocking sockets on 127.0.0.1, one thread per connection, RFC 6455 framing
 * by wslay's frame layer (the library libotc itself uses). It answers the
 * HTTP upgrade, pongs the client's pings and its close frame; everything
 * else is the script's. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_server;
struct fake_peer;

/* The script's hooks, all called on the peer's own thread. */
struct fake_script {
  /* The WebSocket is open (optional). */
  void (*opened)(struct fake_peer* peer);
  /* A whole text message from the client (optional). */
  void (*message)(struct fake_peer* peer, const char* text, size_t length);
  /* A pong from the client, with its payload (optional). */
  void (*pong)(struct fake_peer* peer, const char* payload, size_t length);
  /* Called every `tick_ms` while the peer is open (optional). */
  void (*tick)(struct fake_peer* peer);
  int tick_ms;
  /* Bytes of per-peer state, zeroed at connection (fake_peer_state). */
  size_t state_size;
};

/* Listens on a free port of 127.0.0.1; the script must outlive the server. */
struct fake_server* fake_server_start(const struct fake_script* script);
int fake_server_port(const struct fake_server* server);
/* Closes every connection and joins every thread. */
void fake_server_stop(struct fake_server* server);

enum fake_opcode {
  FAKE_CONTINUATION = 0x0,
  FAKE_TEXT = 0x1,
  FAKE_BINARY = 0x2,
  FAKE_PING = 0x9
};

/* One frame (unmasked, as a server's are); false when the client is gone. */
bool fake_peer_send(struct fake_peer* peer, enum fake_opcode opcode, bool fin, const void* data,
                    size_t length);
/* A whole text message in one frame. */
bool fake_peer_send_text(struct fake_peer* peer, const char* text);
/* Ends the connection with a close frame once the current hook returns. */
void fake_peer_close(struct fake_peer* peer);
void* fake_peer_state(struct fake_peer* peer);
/* The server side's socket (for TCP_INFO). */
int fake_peer_fd(const struct fake_peer* peer);

#endif /* OTC_TEST_FAKE_SERVER_H */
