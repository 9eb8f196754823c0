#ifndef OTC_INTERNAL_H
#define OTC_INTERNAL_H

/* Declarations shared by libotc's sources. Not installed. Every source
 * includes it first. */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, clock_gettime */
#endif

#include <otc/otc.h>

#include "private.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A server message may be large (a big roster), but never larger than this. */
#define OTC_MAX_MESSAGE_BYTES (16u * 1024u * 1024u)

/* --- log.c ---------------------------------------------------------------- */

void otc_log(enum otc_log_level level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

/* --- time and timers (wheel.c) ------------------------------------------------ */

typedef int64_t otc_usec; /* microseconds of the monotonic clock */
#define OTC_US_PER_MS 1000

#define OTC_CONTAINER_OF(pointer, type, member) \
  ((type*)(void*)((char*)(pointer) - offsetof(type, member)))

otc_usec otc_now_us(void);

/* A one-shot timer of the library thread, embedded in its owner. */
struct otc_timer;
typedef void (*otc_timer_fn)(struct otc_timer* timer);
struct otc_timer { /* an entry of the timer wheel (wheel.c) */
  struct otc_timer* next;
  struct otc_timer* prev;
  otc_usec due;
  otc_timer_fn fn;
};
/* The wheel's one uv_timer (wheel.c), with the loop. */
void wheel_start(void);
void wheel_stop(void);
/* (Re)arms the timer to fire once after `delay`; library thread only. */
void timer_schedule(struct otc_timer* timer, otc_timer_fn fn, otc_usec delay);
void timer_cancel(struct otc_timer* timer);

/* --- connection.c --------------------------------------------------------- */

struct otc_connection {
  struct otc_connection* next; /* roster hash chain, or list of retired selves */
  const char* session_id;
  size_t id_hash; /* roster_hash(id), so the roster never hashes an ID twice */
  int64_t creation_time;
  int64_t event_seq; /* seq of the event being delivered; -1 for snapshots and reconciliation */
  int64_t event_epoch; /* the session's epoch with event_seq; 0 from a v1 server */
  uint32_t id_length;
  enum otc_connection_drop_reason drop_reason;
  bool user_owned; /* made by otc_connection_copy(): the user frees it */
  /* The ID, its NUL, the data, its NUL (and session_id when it is a copy), with
   * no pointers to them: a storm of N keeps N(N-1) connections, and 16 bytes
   * less each cut the allocator's chunk from 144 to 112 bytes for a UUID. */
  char storage[];
};

static inline const char* connection_id(const otc_connection* c) {
  return c->storage;
}

static inline const char* connection_data(const otc_connection* c) {
  return c->storage + c->id_length + 1;
}

/* session_id is borrowed: it must outlive the connection. */
otc_connection* connection_new(const char* id, size_t id_length, const char* data,
                               size_t data_length, int64_t creation_time,
                               const char* session_id);
/* The same when roster_hash(id) is known already. */
otc_connection* connection_new_hashed(const char* id, size_t id_length, const char* data,
                                      size_t data_length, int64_t creation_time,
                                      const char* session_id, size_t id_hash);
void connection_free(otc_connection* connection);
enum otc_connection_drop_reason drop_reason_parse(const char* text, size_t length);

/* --- roster.c: the session's other connections, by ID ---------------------- */

struct roster {
  otc_connection** buckets;
  size_t bucket_count; /* a power of two, or 0 before the first add */
  size_t count;
};

size_t roster_hash(const char* id, size_t length);
void roster_init(struct roster* roster);
/* Frees every connection. */
void roster_clear(struct roster* roster);
otc_connection* roster_find(const struct roster* roster, const char* id, size_t length);
/* The same with `hash` = roster_hash(id, length), computed once per ID. */
otc_connection* roster_find_hashed(const struct roster* roster, const char* id, size_t length,
                                   size_t hash);
otc_connection* roster_remove_hashed(struct roster* roster, const char* id, size_t length,
                                     size_t hash);
/* False when out of memory. The ID must not be in the roster yet. */
bool roster_add(struct roster* roster, otc_connection* connection);
/* Unlinks and returns the connection, or NULL when absent. */
otc_connection* roster_remove(struct roster* roster, const char* id, size_t length);
/* Empties the roster and returns its connections as a list linked by `next`. */
otc_connection* roster_take_all(struct roster* roster);

/* --- settings.c ----------------------------------------------------------- */

struct server_address {
  char* host;
  char* path; /* with the leading '/' */
  int port;
  bool tls;
};

struct otc_session_settings {
  struct server_address server;
  int heartbeat_interval_ms;
  int heartbeat_timeout_ms;
  int initial_backoff_ms;
  int max_backoff_ms;
  int give_up_after_ms;
  bool suppress_events;
  bool server_set; /* the application chose the URL; else OTC_SERVER_URL may */
  otc_session_batch_callback on_batch_begin;
  otc_session_batch_callback on_batch_end;
};

void settings_defaults(struct otc_session_settings* settings);
/* Deep copy; false when out of memory. */
bool settings_copy(struct otc_session_settings* to,
                   const struct otc_session_settings* from);
void settings_free_fields(struct otc_session_settings* settings);
/* OTC_SERVER_URL, when the application set no URL; false when it does not parse. */
bool settings_apply_environment(struct otc_session_settings* settings);

/* --- alloc.c: libotc's allocations, which a test can make fail ----------- */

void* otc_malloc(size_t size);
void* otc_calloc(size_t count, size_t size);
void* otc_realloc(void* pointer, size_t size);
char* otc_strdup(const char* text);

/* --- json.c: a pull parser that unescapes in place ------------------------ */

struct json {
  char* p;
  char* end;
};

/* A decoded string inside the frame; not NUL-terminated. */
struct json_string {
  const char* text;
  size_t length;
};

/* Iterates an object's members or an array's elements. */
struct json_iter {
  bool object;
  bool started;
};

void json_init(struct json* j, char* text, size_t length);
/* The next non-space byte, or '\0' at the end; inline: the decoders call it
 * a dozen times per event. */
static inline __attribute__((always_inline)) char json_peek(struct json* j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
    j->p++;
  }
  return j->p < j->end ? *j->p : '\0';
}
bool json_at_end(struct json* j);
bool json_string(struct json* j, struct json_string* text);
/* Any JSON number; `*integral` when it is an integer within +-2^53. */
bool json_number(struct json* j, int64_t* value, bool* integral);
bool json_bool(struct json* j, bool* value);
/* Skips (and validates) one value of any kind. */
bool json_skip(struct json* j);
/* 1: a member follows (its key in `*key` for objects; the value is next);
 * 0: the container ended; -1: malformed. */
int json_container_next(struct json* j, struct json_iter* it, struct json_string* key);
bool json_string_is(const struct json_string* text, const char* literal);
/* The same for a string literal, without strlen. */
#define JSON_IS(string, literal)              \
  ((string)->length == sizeof(literal) - 1 && \
   memcmp((string)->text, literal, sizeof(literal) - 1) == 0)

/* --- wire.c: protocol.md messages ----------------------------------------- */

/* The protocol version this client asks for (protocol.md "Versions"). */
#define OTC_PROTOCOL_VERSION 2
#define OTC_PROTOCOL_VERSION_TEXT "2"

/* A connection object as received; the strings point into the frame. */
struct wire_connection {
  struct json_string id;
  struct json_string data;
  int64_t creation_time;
};

struct wire_event {
  int64_t seq;
  struct json_string type;
  struct json_string reason; /* empty when absent */
  struct wire_connection connection;
};

/* A server message's members; arrays and objects are kept as spans to parse
 * later (each is validated once by wire_decode and parsed once after). */
struct wire_message {
  struct json_string type, resume_token, message, reason;
  int64_t protocol, seq, epoch, code, retry_after_ms;
  int64_t heartbeat_interval_ms, heartbeat_timeout_ms; /* 0 when absent */
  bool has_type, has_protocol, has_seq, has_epoch, has_code, has_retry_after;
  bool has_resume_token, has_message, has_reason;
  bool resumed, replay, snapshot;
  bool has_connection, has_connections, has_events;
  struct json connection, connections, events;
  /* An `events` array is parsed while the frame is validated, once: its
   * events, in order (freed by wire_message_free). */
  struct wire_event* parsed_events;
  size_t parsed_count;
  bool events_parsed;
  bool out_of_memory; /* wire_decode failed for want of memory, not bad input */
};

/* Client frames (JSON text of `*length` bytes, NUL-terminated); NULL when out
 * of memory. */
char* wire_connect_frame(const char* api_key, const char* session_id,
                         const char* token, bool suppress_events, size_t* length);
/* epoch <= 0 (from a v1 server) leaves `epoch` out. */
char* wire_resume_frame(const char* api_key, const char* session_id,
                        const char* connection_id, const char* resume_token,
                        int64_t epoch, int64_t last_seq, size_t* length);

/* Decodes a whole message (a JSON object with a string `type`) from `text`,
 * which it may rewrite (strings are unescaped in place). False when malformed
 * anywhere, so nothing of a bad frame is applied. */
bool wire_decode(char* text, size_t length, struct wire_message* message);
/* Frees what wire_decode allocated (after it succeeded or failed). */
void wire_message_free(struct wire_message* message);
/* One connection object or event at `j`; strings point into the frame. */
bool wire_connection_parse(struct json* j, struct wire_connection* connection);
bool wire_event_parse(struct json* j, struct wire_event* event);

/* --- loop.c: the library thread ------------------------------------------- */

enum command_type {
  CMD_CONNECT,
  CMD_DISCONNECT,
  CMD_DELETE,
  CMD_INJECT,
  CMD_DROP_SOCKET,
  CMD_STOP
};

struct session;

struct command {
  struct command* next;
  enum command_type type;
  struct session* session;
  char* token; /* CMD_CONNECT */
  int count;   /* CMD_INJECT */
};

/* The library's life: otc_init() moves it from DOWN to UP, otc_destroy()
 * from UP through STOPPING back to DOWN. An otc_init() during STOPPING waits
 * for DOWN, so the two never share (or tear down) one loop. */
enum library_state { LIBRARY_DOWN, LIBRARY_UP, LIBRARY_STOPPING };

/* One entry of the handle table. A handle names a slot and the generation
 * of the session in it; a slot reused by a later session has a new
 * generation, so an old handle never reaches the new session (ABA). */
struct handle_slot {
  struct session* session; /* NULL when free */
  uint32_t generation;
  uint32_t next_free;
};

/* The library's global state. `lock` guards everything marked so here and
 * in struct session. */
struct otc_global {
  pthread_mutex_t lock;
  pthread_cond_t callback_done;
  pthread_cond_t state_changed;   /* state left STOPPING */
  enum library_state state;       /* lock */
  struct uv_loop_s* loop;         /* set while UP or STOPPING */
  pthread_t thread;
  struct command* queue_head;     /* lock */
  struct command* queue_tail;     /* lock */
  struct handle_slot* slots;      /* lock */
  uint32_t slot_count;            /* lock */
  uint32_t slot_capacity;         /* lock */
  uint32_t free_slot;             /* lock; UINT32_MAX when none */
  uint32_t next_generation;       /* lock; never reset, so handles stay unique across inits */
  size_t session_count;           /* lock */
};

extern struct otc_global otc_g;

bool on_library_thread(void);

/* --- handles.c: handles <-> sessions; all need otc_g.lock held ------------ */

/* Registers the session and sets its `handle`; false when out of memory. */
bool handle_add(struct session* session);
/* The live session a handle names, or NULL (NULL, stale, foreign). */
struct session* handle_resolve(const otc_session* handle);
void handle_remove(struct session* session);
/* Any live session, or NULL; for otc_destroy(). */
struct session* handle_any(void);
/* Frees the table when the library is down and no session is left. */
void handle_table_release(void);

/* Needs otc_g.lock held; takes ownership of `command`. Wakes the loop. */
void post_command_locked(struct command* command);
struct command* command_new(enum command_type type, struct session* session);
/* Unregisters the session and posts its preallocated delete. With
 * `wait_for_callback` (otc_session_delete, otc_destroy) it first waits for a
 * running callback of the session, unless on the library thread; without it
 * (otc_session_delete_async) it never waits. Needs otc_g.lock held. */
void session_delete_locked(struct session* session, bool wait_for_callback);

/* --- sessions: the public side (session.c) and the library thread's
 * (life.c, transport.c, callbacks.c, messages.c, commands.c; see engine.h) */

enum session_phase {
  PHASE_IDLE,         /* no connection wanted */
  PHASE_CONNECTING,   /* first attempt, until `connected` */
  PHASE_CONNECTED,
  PHASE_RECONNECTING, /* lost; retrying with backoff */
  PHASE_CLOSING       /* close frame sent or due; waiting for the socket to end */
};

enum socket_state {
  SOCKET_NONE,
  SOCKET_OPENING, /* TCP, TLS or WebSocket handshake */
  SOCKET_OPEN     /* WebSocket established */
};

/* What the application asked for; checked by the public functions. */
enum user_state {
  USER_IDLE,          /* never connected, or ended */
  USER_ACTIVE,        /* otc_session_connect() succeeded */
  USER_DISCONNECTING  /* otc_session_disconnect() succeeded */
};

struct session {
  /* Fixed at creation. */
  otc_session* handle; /* what the application and the callbacks see */
  char* api_key;
  char* session_id;
  struct otc_session_callbacks callbacks;
  struct otc_session_settings settings;
  struct command* delete_command; /* preallocated: deleting cannot fail */

  /* Guarded by otc_g.lock. */
  bool deleted;
  bool in_callback;
  bool delete_waiting; /* a thread waits for in_callback to clear */
  /* otc_session_delete_async's completion, set before its CMD_DELETE is
   * posted; the library thread calls it when it frees the session. */
  otc_session_deleted_callback on_deleted;
  void* on_deleted_data;
  enum user_state user_state;
  bool ending; /* end_session is delivering the cycle's last callbacks */
  otc_connection* self;    /* own connection, from on_connected to on_disconnected */
  otc_connection* retired; /* earlier own connections; freed with the session */

  /* Library thread only. */
  enum session_phase phase;
  enum socket_state socket;
  struct wsconn* conn; /* the WebSocket (wsconn.c), or NULL */
  struct lookup* lookup; /* a name lookup in progress (transport.c), or NULL */
  bool announced; /* on_connected was delivered in this connection cycle */
  bool resuming;  /* the current socket sent `resume` */
  bool resume_rejected; /* the server forgot us: next attempt is a new `connect` */
  char* token;
  char* resume_token;
  int64_t last_seq;
  int64_t epoch;    /* of the last `connected`; 0 from a v1 server */
  int protocol;     /* negotiated on the current connection: 1 or 2 (no client pings) */
  int silence_timeout_ms; /* the server is lost after this: the setting, or a v2 server's longer timeoutMs */
  int retry_after_ms; /* the server's hint from its last error, for the next retry */
  otc_usec connect_started; /* when otc_session_connect's attempt began */
  bool in_batch;    /* on_batch_begin delivered, on_batch_end due */
  bool leave_by_resume; /* disconnecting while reconnecting: resume, then close */
  bool leaving; /* deleted, still leaving by resume (life.c) */
  struct session* next_leaving;
  struct roster roster;
  char* outgoing; /* connect/resume frame waiting to be sent */
  size_t outgoing_length;
  bool ping_due;
  bool close_due;
  otc_usec last_received;
  bool silence_rechecked; /* the deadline passed once; the next pass decides */
  otc_usec next_ping;
  otc_usec close_started;
  int attempt; /* reconnection attempts since the loss */
  struct otc_timer heartbeat_timer; /* pings, silence and handshake timeouts */
  struct otc_timer retry_timer;
  struct otc_timer give_up_timer;
};

/* On the library thread (commands.c, life.c). */

void session_run_command(struct command* command);
/* Deleted sessions still leaving by resume (life.c), and dropping them all
 * when the loop stops. */
int sessions_leaving(void);
void abort_leaving_sessions(void);

#endif /* OTC_INTERNAL_H */
