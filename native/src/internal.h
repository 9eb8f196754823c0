#ifndef OTC_INTERNAL_H
#define OTC_INTERNAL_H

/* Declarations shared by libotc's sources. Not installed. Every source
 * includes it first. */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, clock_gettime */
#endif

#include <otc/otc.h>
#include <otc/testing.h>

#include <libwebsockets.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A server message may be large (a big roster), but never larger than this. */
#define OTC_MAX_MESSAGE_BYTES (16u * 1024u * 1024u)

/* --- log.c ---------------------------------------------------------------- */

void otc_log(enum otc_log_level level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
/* Routes libwebsockets' own log lines into otc_log. */
void otc_log_route_lws(void);

/* --- connection.c --------------------------------------------------------- */

struct otc_connection {
  struct otc_connection* next; /* roster hash chain, or list of retired selves */
  const char* id;
  const char* data;
  const char* session_id;
  size_t id_hash; /* roster_hash(id), so the roster never hashes an ID twice */
  int64_t creation_time;
  enum otc_connection_drop_reason drop_reason;
  int64_t event_seq; /* seq of the event being delivered; -1 for snapshots and reconciliation */
  bool user_owned; /* made by otc_connection_copy(): the user frees it */
  char storage[];  /* id, data (and session_id when it is a copy) */
};

/* session_id is borrowed: it must outlive the connection. */
otc_connection* connection_new(const char* id, const char* data,
                               int64_t creation_time, const char* session_id);
void connection_free(otc_connection* connection);
enum otc_connection_drop_reason drop_reason_parse(const char* text);

/* --- roster.c: the session's other connections, by ID ---------------------- */

struct roster {
  otc_connection** buckets;
  size_t bucket_count; /* a power of two, or 0 before the first add */
  size_t count;
};

size_t roster_hash(const char* id);
void roster_init(struct roster* roster);
/* Frees every connection. */
void roster_clear(struct roster* roster);
otc_connection* roster_find(const struct roster* roster, const char* id);
/* False when out of memory. The ID must not be in the roster yet. */
bool roster_add(struct roster* roster, otc_connection* connection);
/* Unlinks and returns the connection, or NULL when absent. */
otc_connection* roster_remove(struct roster* roster, const char* id);
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
};

void settings_defaults(struct otc_session_settings* settings);
/* Deep copy; false when out of memory. */
bool settings_copy(struct otc_session_settings* to,
                   const struct otc_session_settings* from);
void settings_free_fields(struct otc_session_settings* settings);

/* --- wire.c: protocol.md messages as JSON ---------------------------------- */

#include <cjson/cJSON.h>

/* A connection object as received; the strings point into the cJSON tree. */
struct wire_connection {
  const char* id;
  const char* data;
  int64_t creation_time;
};

/* Client frames, preceded by LWS_PRE spare bytes for libwebsockets; the JSON
 * text starts at LWS_PRE and is `*length` bytes long. NULL when out of memory. */
char* wire_connect_frame(const char* api_key, const char* session_id,
                         const char* token, bool suppress_events, size_t* length);
char* wire_resume_frame(const char* api_key, const char* session_id,
                        const char* connection_id, const char* resume_token,
                        int64_t last_seq, size_t* length);

/* A JSON object, or NULL when the `length` bytes of `text` (no NUL needed)
 * are anything else. */
cJSON* wire_parse(const char* text, size_t length);
/* The named member when it is a string, else NULL. */
const char* wire_string(const cJSON* object, const char* name);
/* The named member when it is an integral number. */
bool wire_integer(const cJSON* object, const char* name, int64_t* value);
bool wire_connection_parse(const cJSON* object, struct wire_connection* connection);

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
  struct lws_context* context;    /* set while UP or STOPPING */
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
/* Unregisters the session (waiting for its running callback, unless on the
 * library thread) and posts its preallocated delete. Needs otc_g.lock held. */
void session_delete_locked(struct session* session);

/* --- sessions: the public side (session.c) and the library thread's (engine.c) */

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
  enum user_state user_state;
  otc_connection* self;    /* own connection, from on_connected to on_disconnected */
  otc_connection* retired; /* earlier own connections; freed with the session */

  /* Library thread only. */
  enum session_phase phase;
  enum socket_state socket;
  struct lws* wsi;
  bool announced; /* on_connected was delivered in this connection cycle */
  bool resuming;  /* the current socket sent `resume` */
  bool resume_rejected; /* the server forgot us: next attempt is a new `connect` */
  char* token;
  char* resume_token;
  int64_t last_seq;
  struct roster roster;
  char* outgoing; /* connect/resume frame waiting for writability (LWS_PRE first) */
  size_t outgoing_length;
  bool ping_due;
  bool close_due;
  char* incoming; /* the message being received, over several fragments */
  size_t incoming_length;
  size_t incoming_capacity;
  lws_usec_t last_received;
  bool silence_rechecked; /* the deadline passed once; the next pass decides */
  lws_usec_t next_ping;
  lws_usec_t close_started;
  int attempt; /* reconnection attempts since the loss */
  lws_sorted_usec_list_t heartbeat_timer; /* pings, silence and handshake timeouts */
  lws_sorted_usec_list_t retry_timer;
  lws_sorted_usec_list_t give_up_timer;
};

/* engine.c, on the library thread */

void session_run_command(struct command* command);
int session_lws_callback(struct lws* wsi, enum lws_callback_reasons reason,
                         void* in, size_t len);
/* Frees the library-wide receive buffer; when the loop has stopped. */
void session_release_buffers(void);
/* Number of deleted sessions whose sockets still close gracefully. */
int session_closing_orphans(void);

#endif /* OTC_INTERNAL_H */
