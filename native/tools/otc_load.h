/* otc-load's shared state (docs/harness.md). Three concerns, one file each:
 *  - otc_load.c: the generator: options, connecting and pacing clients,
 *    libotc's session callbacks other than connection events, leaves,
 *    injection, the main loop;
 *  - otc_load_check.c: the checker: what each client knows of each
 *    connection ID, the exactly-once and seq-order checks, "full" rosters,
 *    marks (lone-event latency), violations;
 *  - otc_load_protocol.c: the command protocol: stdin commands and the
 *    JSON lines on stdout.
 * Every field below is guarded by `lock` unless its comment says otherwise. */
#ifndef OTC_LOAD_H
#define OTC_LOAD_H

#define _POSIX_C_SOURCE 200809L

#include <otc/otc.h>
#include <otc/testing.h> /* OTC_HAVE_EVENT_SEQ, when libotc has it */

#include <cjson/cJSON.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct options {
  const char* url;
  const char* api_key;
  const char* tokens_file;
  double rate;
  bool hold;
  int progress_ms;
  const char* mark_prefix;
  bool suppress;
  int heartbeat_interval_ms, heartbeat_timeout_ms;
  int backoff_ms, backoff_cap_ms, give_up_ms;
  bool roster_at_exit;
  bool exit_on_eof;
  long max_lines;
  int log_level;
};


enum client_state {
  ST_PENDING,      /* added, waiting to connect */
  ST_CONNECTING,   /* otc_session_connect() called */
  ST_CONNECTED,
  ST_RECONNECTING,
  ST_LEAVING,      /* otc_session_disconnect() called by us */
  ST_LEFT,         /* disconnected because we asked */
  ST_ENDED,        /* disconnected without being asked */
  ST_FAILED,       /* the first connection attempt failed */
  ST_COUNT
};


/* What a client knows about one connection ID (2 bits each). */
enum id_state { ID_UNKNOWN = 0, ID_PRESENT = 1, ID_GONE = 2 };

/* The events of one epoch by seq: (index << 3 | reason << 1 | dropped) + 1,
 * 0 unknown. Epoch 0 is a v1 server's (it sends none). */
struct epoch_log {
  int64_t epoch;
  int32_t* events;
  int64_t capacity;
};

/* A session of the server, as seen from this process. Connection IDs are
 * interned per group, so each client's knowledge is a small bit array. */
/* One slot of a group's ID table, one cache line: the lookup of an event's ID
 * touches this line alone, unless the ID is longer than `key`. */
struct id_slot {
  uint64_t hash; /* lookup_hash() of the ID */
  int32_t index; /* into the group's ids, + 1; 0 = empty */
  uint32_t length;
  char key[48]; /* the ID's first bytes */
};

struct group {
  char* name;
  /* interned IDs */
  char** ids;
  char** datas; /* each ID's connection data, once an event carried it */
  uint64_t* id_hashes; /* FNV-1a 64 of each ID: the roster hash's terms */
  int id_count, id_capacity;
  struct id_slot* slots; /* open addressing over the IDs (otc_load_check.c) */
  int slot_count;
  /* clients by state; the marked ones also separately */
  int counts[ST_COUNT];
  int marked_counts[ST_COUNT];
  int expect; /* members in all for "full", 0 = not asked */
  int full_count;
  bool full_reported;
  int64_t first_full_ns, last_full_ns;
  /* One log per epoch (a life of the session; protocol v2), oldest first:
   * seq -> event, to compare clients and for `seqlog`. */
  struct epoch_log* epochs;
  int epoch_count;
  /* v1 only (no epoch): after a server restart seqs start over, so the
   * cross-client check stops. With epochs a new life has its own log. */
  bool seq_check_off;
};

struct client {
  int index;
  char* tag;
  char* token; /* until connected */
  struct group* group;
  otc_session* session;
  enum client_state state;
  bool marked;
  int own; /* own connection's interned index, -1 before connected */
  uint8_t* ids; /* 2 bits per interned ID of the group */
  int ids_capacity;
  int roster_count;
  uint64_t roster_hash; /* sum of FNV-1a 64 of the IDs present */
  bool full;
  int64_t last_epoch, last_seq; /* the last event's position, (epoch, seq) */
  int64_t connect_ns, connected_ns;
  int own_changes; /* new connection IDs after reconnects (server restart) */
  bool deaf;       /* test fault: ignores every event (see `deafen`) */
};

/* Aggregates of one marked connection and one event kind. */
struct mark {
  struct mark* next;
  struct group* group;
  char* data;
  bool dropped; /* kind: created or dropped */
  char* id;
  int64_t creation_ms; /* the server's join stamp of the marked connection */
  int count;
  int reasons[4];
  int64_t first_ns, last_ns;
  bool reported;
};

struct totals {
  long long created, dropped, reasons[4];
  long long reconnecting, reconnected, errors, violations, ends;
  long long roster_sum;
  long long lines_printed;
  long long full;
};


static inline bool state_is_active(enum client_state s) {
  return s <= ST_RECONNECTING;
}

/* --- shared state (otc_load.c) -------------------------------------------- */

extern struct options opt;
extern pthread_mutex_t lock; /* guards all below */
extern struct client** clients;
extern int client_count;
extern struct group** groups;
extern int group_count, group_capacity;
extern struct mark* marks;
extern struct totals tot;
extern int state_counts[ST_COUNT];
extern bool held;
extern long long log_suppressed;
extern bool quit_requested; /* otc_load_protocol.c: `quit` was read */
extern const char* const state_names[ST_COUNT];
extern const char* const reason_names[4];

/* --- generator and helpers (otc_load.c) ----------------------------------- */

char* xstrdup(const char* s);
int64_t now_ns(void);
uint64_t fnv1a64(const char* s);
void add_client(const char* session_id, const char* token, const char* tag);
void die(const char* what);
void inject(int pairs);
void leave(int count, const char* tag);
void* xrealloc(void* p, size_t size);

/* --- checker (otc_load_check.c) ------------------------------------------- */

bool is_marked(const char* data);
cJSON* mark_line(const struct mark* m);
const char* own_id_of(otc_session* session);
enum id_state id_get(const struct client* c, int index);
struct group* group_find(const char* name, bool create);
void check_full(struct client* c, int64_t t);
void on_connection_created(otc_session* session, void* user_data,
    const otc_connection* connection);
void on_connection_dropped(otc_session* session, void* user_data,
    const otc_connection* connection);
void report_full_if_done(struct group* g);
void report_self_mark(struct client* c, const char* event, const char* data,
    int64_t creation_ms);
void set_expect(const char* session_id, int expect);
void set_state(struct client* c, enum client_state next);
void update_own(struct client* c, const char* own_id);
void violation(struct client* c, const char* kind, const char* id, const char* detail);

/* --- command protocol (otc_load_protocol.c) ------------------------------- */

bool read_commands(void);
cJSON* line_new(const char* type);
void add_i64(cJSON* o, const char* name, int64_t v);
void bad_command(const char* text);
void dump_rosters(bool with_ids);
void emit(cJSON* o);
void emit_progress(void);
void load_tokens_file(const char* path);

#endif /* OTC_LOAD_H */
