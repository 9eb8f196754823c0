/* otc-load: a load generator and checker. One process holds thousands of
 * libotc sessions on libotc's single event loop and checks, for every client,
 * the guarantees of docs/protocol.md:
 *  - each other connection is created once and destroyed at most once, never
 *    destroyed before it was created, and never re-created;
 *  - no event is about the client itself;
 *  - (when libotc exposes event seqs) events come in seq order, and all
 *    clients of the process see the same event at the same seq.
 * It reports on stdout in JSON lines, aggregated: progress, violations,
 * roster dumps on demand. Commands come on stdin, one per line (docs/harness.md
 * lists them). Per-event lines are printed only for "marked" connections
 * (connection data starting with --mark-prefix), as one aggregate line per
 * marked connection and event kind: how many clients saw it, first and last
 * receive time. That measures lone-event latency and departure detection. */

#define _POSIX_C_SOURCE 200809L

#include <otc/otc.h>
#include <otc/testing.h> /* OTC_HAVE_EVENT_SEQ, when libotc has it */

#include <cjson/cJSON.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: otc-load --url URL --api-key KEY [options]\n"
    "\n"
    "Connects many clients (libotc sessions) in one process and checks the\n"
    "events each one gets. Clients come from --tokens and from stdin commands.\n"
    "Output: JSON lines on stdout (progress, violation, roster, mark, ...).\n"
    "\n"
    "  --url URL            server WebSocket URL, e.g. ws://127.0.0.1:8080/v1/ws\n"
    "  --api-key KEY        the app's API key\n"
    "  --tokens FILE        lines \"SESSION TOKEN [TAG]\" to add at start\n"
    "  --rate N             connects per second, 0 = all at once (default 0)\n"
    "  --hold               start held: add clients but connect on `go`\n"
    "  --progress-ms N      progress line period, 0 = never (default 1000)\n"
    "  --mark-prefix P      connection data prefix of marked connections\n"
    "                       (default \"mark:\")\n"
    "  --suppress           ask for no connection events on every client\n"
    "  --heartbeat I,T      client heartbeat interval and timeout, ms\n"
    "  --reconnect B,M,G    backoff start, backoff cap, give-up after, ms\n"
    "  --roster-at-exit     dump every roster before exiting\n"
    "  --exit-on-eof        quit when stdin ends (default: keep running)\n"
    "  --max-lines N        violation, error and libotc log lines printed,\n"
    "                       then only counted (default 100)\n"
    "  --log-level N        libotc log level, 0-6 (default 1, errors)\n"
    "  --help               this text\n"
    "\n"
    "Commands on stdin:\n"
    "  add SESSION TOKEN [TAG]   add a client (a bare \"SESSION TOKEN [TAG]\" too)\n"
    "  hold | go | rate N        pause / resume / pace connecting\n"
    "  expect SESSION N          N members in all: report when every client of\n"
    "                            the session here holds N-1 others (\"full\")\n"
    "  leave N [TAG]             disconnect N connected clients, oldest first\n"
    "  roster [full]             one roster line per client, then roster_end\n"
    "  roster-client I           one client's roster with its IDs\n"
    "  stats | marks             a progress line now / every mark so far\n"
    "  seqlog SESSION            the session's events seen here by seq, with\n"
    "                            connection, data and drop reason\n"
    "  echo TEXT                 answers {\"type\":\"echo\",\"text\":TEXT}\n"
    "  deafen I                  test fault: client I ignores all later events\n"
    "  inject N                  N created+dropped pairs through libotc's test hook\n"
    "                            to a counting C callback: ns per event (no network)\n"
    "  quit                      disconnect everyone cleanly and exit\n"
    "SIGUSR1 dumps rosters; SIGINT/SIGTERM quit.\n"
    "Exit codes: 0 clean, 1 usage or fatal error, 2 violations were seen.\n";

/* --- options ------------------------------------------------------------- */

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

static struct options opt = {
    .progress_ms = 1000, .mark_prefix = "mark:", .max_lines = 100, .log_level = 1};

/* --- state --------------------------------------------------------------- */

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

static const char* const state_names[ST_COUNT] = {
    "pending", "connecting", "connected", "reconnecting",
    "leaving", "left", "ended", "failed"};

static bool state_is_active(enum client_state s) {
  return s <= ST_RECONNECTING;
}

/* What a client knows about one connection ID (2 bits each). */
enum id_state { ID_UNKNOWN = 0, ID_PRESENT = 1, ID_GONE = 2 };

/* A session of the server, as seen from this process. Connection IDs are
 * interned per group, so each client's knowledge is a small bit array. */
struct group {
  char* name;
  /* interned IDs */
  char** ids;
  char** datas; /* each ID's connection data, once an event carried it */
  uint64_t* id_hashes;
  int id_count, id_capacity;
  int* slots; /* open addressing: index + 1, 0 = empty */
  int slot_count;
  /* clients by state; the marked ones also separately */
  int counts[ST_COUNT];
  int marked_counts[ST_COUNT];
  int expect; /* members in all for "full", 0 = not asked */
  int full_count;
  bool full_reported;
  int64_t first_full_ns, last_full_ns;
  /* seq -> event, to compare clients and for `seqlog`;
   * (index << 3 | reason << 1 | dropped) + 1, 0 unknown */
  int32_t* seq_events;
  int64_t seq_capacity;
  bool seq_check_off; /* after a server restart seqs start over */
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
  int64_t last_seq;
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

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards all below */
static struct client** clients;
static int client_count, client_capacity;
static struct group** groups;
static int group_count, group_capacity;
static struct mark* marks;
static struct totals tot;
static int state_counts[ST_COUNT];
static int* pending; /* FIFO of client indexes */
static int pending_head, pending_count, pending_capacity;
static bool held;
static long long log_suppressed;
static long log_printed;

static volatile sig_atomic_t got_usr1, got_term;

/* --- small helpers ------------------------------------------------------- */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "otc-load: %s\n", what);
  exit(1);
}

static void* xrealloc(void* p, size_t size) {
  void* q = realloc(p, size ? size : 1);
  if (!q) {
    die("out of memory");
  }
  return q;
}

static char* xstrdup(const char* s) {
  char* copy = strdup(s ? s : "");
  if (!copy) {
    die("out of memory");
  }
  return copy;
}

/* FNV-1a 64: the roster hash is the sum of this over the IDs (order-free). */
static uint64_t fnv1a64(const char* s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void add_i64(cJSON* o, const char* name, int64_t v) {
  char text[32];
  snprintf(text, sizeof text, "%" PRId64, v);
  cJSON_AddRawToObject(o, name, text);
}

static void add_hash(cJSON* o, const char* name, uint64_t v) {
  char text[24];
  snprintf(text, sizeof text, "%016" PRIx64, v);
  cJSON_AddStringToObject(o, name, text);
}

static cJSON* line_new(const char* type) {
  cJSON* o = cJSON_CreateObject();
  if (!o) {
    die("out of memory");
  }
  cJSON_AddStringToObject(o, "type", type);
  add_i64(o, "t_ns", now_ns());
  return o;
}

/* Prints and frees one line. Callers hold `lock`, which orders the lines. */
static void emit(cJSON* o) {
  char* text = cJSON_PrintUnformatted(o);
  if (!text) {
    die("out of memory");
  }
  fputs(text, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  free(text);
  cJSON_Delete(o);
}

/* --- groups and interned IDs --------------------------------------------- */

static struct group* group_find(const char* name, bool create) {
  for (int i = 0; i < group_count; i++) {
    if (strcmp(groups[i]->name, name) == 0) {
      return groups[i];
    }
  }
  if (!create) {
    return NULL;
  }
  struct group* g = calloc(1, sizeof *g);
  if (!g) {
    die("out of memory");
  }
  g->name = xstrdup(name);
  if (group_count == group_capacity) {
    group_capacity = group_capacity ? group_capacity * 2 : 16;
    groups = xrealloc(groups, sizeof *groups * group_capacity);
  }
  groups[group_count++] = g;
  return g;
}

static void group_rehash(struct group* g) {
  g->slot_count = g->slot_count ? g->slot_count * 2 : 64;
  free(g->slots);
  g->slots = calloc((size_t)g->slot_count, sizeof *g->slots);
  if (!g->slots) {
    die("out of memory");
  }
  for (int i = 0; i < g->id_count; i++) {
    size_t slot = g->id_hashes[i] & (size_t)(g->slot_count - 1);
    while (g->slots[slot]) {
      slot = (slot + 1) & (size_t)(g->slot_count - 1);
    }
    g->slots[slot] = i + 1;
  }
}

/* The index of a connection ID in its group, added when new. */
static int group_intern(struct group* g, const char* id) {
  uint64_t h = fnv1a64(id);
  if (g->slot_count) {
    size_t slot = h & (size_t)(g->slot_count - 1);
    for (; g->slots[slot]; slot = (slot + 1) & (size_t)(g->slot_count - 1)) {
      int i = g->slots[slot] - 1;
      if (g->id_hashes[i] == h && strcmp(g->ids[i], id) == 0) {
        return i;
      }
    }
  }
  if (g->id_count == g->id_capacity) {
    g->id_capacity = g->id_capacity ? g->id_capacity * 2 : 64;
    g->ids = xrealloc(g->ids, sizeof *g->ids * g->id_capacity);
    g->datas = xrealloc(g->datas, sizeof *g->datas * g->id_capacity);
    g->id_hashes = xrealloc(g->id_hashes, sizeof *g->id_hashes * g->id_capacity);
  }
  int index = g->id_count++;
  g->ids[index] = xstrdup(id);
  g->datas[index] = NULL;
  g->id_hashes[index] = h;
  if (g->id_count * 2 > g->slot_count) {
    group_rehash(g);
  } else {
    size_t slot = h & (size_t)(g->slot_count - 1);
    while (g->slots[slot]) {
      slot = (slot + 1) & (size_t)(g->slot_count - 1);
    }
    g->slots[slot] = index + 1;
  }
  return index;
}

/* --- per-client knowledge of IDs ----------------------------------------- */

static enum id_state id_get(const struct client* c, int index) {
  if (index >= c->ids_capacity) {
    return ID_UNKNOWN;
  }
  return (enum id_state)((c->ids[index >> 2] >> ((index & 3) * 2)) & 3);
}

static void id_set(struct client* c, int index, enum id_state state) {
  if (index >= c->ids_capacity) {
    int capacity = c->ids_capacity ? c->ids_capacity : 64;
    while (capacity <= index) {
      capacity *= 2;
    }
    c->ids = xrealloc(c->ids, (size_t)capacity / 4);
    memset(c->ids + c->ids_capacity / 4, 0, (size_t)(capacity - c->ids_capacity) / 4);
    c->ids_capacity = capacity;
  }
  int shift = (index & 3) * 2;
  c->ids[index >> 2] = (uint8_t)((c->ids[index >> 2] & ~(3 << shift)) | (state << shift));
}

/* --- state changes --------------------------------------------------------- */

static void set_state(struct client* c, enum client_state next) {
  state_counts[c->state]--;
  state_counts[next]++;
  c->group->counts[c->state]--;
  c->group->counts[next]++;
  if (c->marked) {
    c->group->marked_counts[c->state]--;
    c->group->marked_counts[next]++;
  }
  c->state = next;
}

static int group_active(const struct group* g) {
  int n = 0;
  for (int s = 0; s < ST_COUNT; s++) {
    if (state_is_active((enum client_state)s)) {
      n += g->counts[s];
    }
  }
  return n;
}

static void report_full_if_done(struct group* g) {
  if (g->expect <= 0 || g->full_reported || g->full_count < group_active(g) ||
      g->counts[ST_PENDING] > 0 || g->full_count == 0) {
    return;
  }
  g->full_reported = true;
  cJSON* o = line_new("full");
  cJSON_AddStringToObject(o, "session", g->name);
  cJSON_AddNumberToObject(o, "clients", g->full_count);
  cJSON_AddNumberToObject(o, "expect", g->expect);
  add_i64(o, "first_ns", g->first_full_ns);
  add_i64(o, "last_ns", g->last_full_ns);
  emit(o);
}

static void check_full(struct client* c, int64_t t) {
  struct group* g = c->group;
  if (c->full || g->expect <= 0 || c->state != ST_CONNECTED ||
      c->roster_count != g->expect - 1) {
    return;
  }
  c->full = true;
  g->full_count++;
  tot.full++;
  if (g->first_full_ns == 0) {
    g->first_full_ns = t;
  }
  g->last_full_ns = t;
  report_full_if_done(g);
}

static void violation(struct client* c, const char* kind, const char* id, const char* detail) {
  tot.violations++;
  if (tot.lines_printed >= opt.max_lines) {
    return;
  }
  tot.lines_printed++;
  cJSON* o = line_new("violation");
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON_AddNumberToObject(o, "client", c->index);
  cJSON_AddStringToObject(o, "session", c->group->name);
  cJSON_AddStringToObject(o, "own", c->own >= 0 ? c->group->ids[c->own] : "");
  cJSON_AddStringToObject(o, "conn", id);
  cJSON_AddStringToObject(o, "detail", detail);
  emit(o);
}

/* Learns the client's own connection ID; it changes when a reconnect had to
 * create a new connection (the server restarted). `own_id` was read from
 * libotc before taking the lock. */
static void update_own(struct client* c, const char* own_id) {
  if (!own_id || !own_id[0]) {
    return;
  }
  if (c->own >= 0 && strcmp(c->group->ids[c->own], own_id) == 0) {
    return;
  }
  if (c->own >= 0) {
    c->own_changes++;
    c->last_seq = -1;
    c->group->seq_check_off = true;
  }
  c->own = group_intern(c->group, own_id);
}

static const char* own_id_of(otc_session* session) {
  return otc_connection_get_id(otc_session_get_connection(session));
}

static const char* const reason_names[4] = {
    "none", "clientDisconnected", "networkDisconnected", "forceDisconnected"};

/* --- seq checks (only when libotc exposes the event seq) ------------------- */

#ifdef OTC_HAVE_EVENT_SEQ
static void check_seq(struct client* c, int64_t seq, int index, bool dropped, int reason) {
  if (seq < 0) {
    return; /* from a roster snapshot or a reconciliation, not an event */
  }
  char detail[96];
  if (seq <= c->last_seq) {
    snprintf(detail, sizeof detail, "seq %" PRId64 " after %" PRId64, seq, c->last_seq);
    violation(c, "out_of_order", c->group->ids[index], detail);
  }
  c->last_seq = seq;
  struct group* g = c->group;
  if (g->seq_check_off || seq > (int64_t)100000000) {
    return;
  }
  if (seq >= g->seq_capacity) {
    int64_t capacity = g->seq_capacity ? g->seq_capacity : 1024;
    while (capacity <= seq) {
      capacity *= 2;
    }
    g->seq_events = xrealloc(g->seq_events, sizeof *g->seq_events * (size_t)capacity);
    memset(g->seq_events + g->seq_capacity, 0,
           sizeof *g->seq_events * (size_t)(capacity - g->seq_capacity));
    g->seq_capacity = capacity;
  }
  int32_t event =
      (int32_t)(((uint32_t)index << 3) | ((uint32_t)(reason & 3) << 1) | (dropped ? 1u : 0u)) + 1;
  if (g->seq_events[seq] == 0) {
    g->seq_events[seq] = event;
  } else if (g->seq_events[seq] != event) {
    int32_t other = g->seq_events[seq] - 1;
    snprintf(detail, sizeof detail, "seq %" PRId64 " is %s (%s) here, %s (%s) of %s at another client",
             seq, dropped ? "dropped" : "created", reason_names[reason & 3],
             (other & 1) ? "dropped" : "created", reason_names[(other >> 1) & 3], g->ids[other >> 3]);
    violation(c, "seq_mismatch", g->ids[index], detail);
  }
}
#endif

/* --- marks ----------------------------------------------------------------- */

static bool is_marked(const char* data) {
  size_t n = strlen(opt.mark_prefix);
  return n > 0 && data && strncmp(data, opt.mark_prefix, n) == 0;
}

static cJSON* mark_line(const struct mark* m) {
  cJSON* o = line_new("mark");
  cJSON_AddStringToObject(o, "event", m->dropped ? "dropped" : "created");
  cJSON_AddStringToObject(o, "session", m->group->name);
  cJSON_AddStringToObject(o, "data", m->data);
  cJSON_AddStringToObject(o, "conn", m->id);
  add_i64(o, "creation_ms", m->creation_ms);
  cJSON_AddNumberToObject(o, "count", m->count);
  cJSON_AddNumberToObject(o, "expected",
                          m->group->counts[ST_CONNECTED] - m->group->marked_counts[ST_CONNECTED]);
  add_i64(o, "first_ns", m->first_ns);
  add_i64(o, "last_ns", m->last_ns);
  if (m->dropped) {
    cJSON* reasons = cJSON_AddObjectToObject(o, "reasons");
    for (int r = 0; r < 4; r++) {
      if (m->reasons[r]) {
        cJSON_AddNumberToObject(reasons, reason_names[r], m->reasons[r]);
      }
    }
  }
  return o;
}

/* Counts one event about a marked connection; reports the mark once every
 * connected unmarked client of the group here has seen it. */
static void mark_event(struct client* c, const char* data, const char* id, int64_t creation_ms,
                       bool dropped, int reason, int64_t t) {
  struct mark* m = marks;
  while (m && !(m->group == c->group && m->dropped == dropped && strcmp(m->id, id) == 0)) {
    m = m->next;
  }
  if (!m) {
    m = calloc(1, sizeof *m);
    if (!m) {
      die("out of memory");
    }
    m->group = c->group;
    m->data = xstrdup(data);
    m->id = xstrdup(id);
    m->dropped = dropped;
    m->creation_ms = creation_ms;
    m->first_ns = t;
    m->next = marks;
    marks = m;
  }
  m->count++;
  m->last_ns = t;
  m->reasons[reason & 3]++;
  int expected = c->group->counts[ST_CONNECTED] - c->group->marked_counts[ST_CONNECTED];
  if (!m->reported && m->count >= expected) {
    m->reported = true;
    emit(mark_line(m));
  }
}

static void report_self_mark(struct client* c, const char* event, const char* data,
                             int64_t creation_ms) {
  cJSON* o = line_new("mark_self");
  cJSON_AddStringToObject(o, "event", event);
  cJSON_AddStringToObject(o, "session", c->group->name);
  cJSON_AddStringToObject(o, "data", data);
  cJSON_AddStringToObject(o, "conn", c->own >= 0 ? c->group->ids[c->own] : "");
  cJSON_AddNumberToObject(o, "client", c->index);
  add_i64(o, "connect_ns", c->connect_ns);
  add_i64(o, "connected_ns", c->connected_ns);
  add_i64(o, "creation_ms", creation_ms);
  emit(o);
}

/* --- libotc callbacks (library thread) ------------------------------------ */

static int64_t event_seq(const otc_connection* connection) {
#ifdef OTC_HAVE_EVENT_SEQ
  return otc_connection_get_event_seq(connection);
#else
  (void)connection;
  return -1;
#endif
}

static void on_connection_created(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  int64_t t = now_ns();
  struct client* c = user_data;
  const char* own = own_id_of(session);
  const char* id = otc_connection_get_id(connection);
  const char* data = otc_connection_get_data(connection);
  int64_t seq = event_seq(connection);
  pthread_mutex_lock(&lock);
  if (c->deaf) {
    pthread_mutex_unlock(&lock);
    return;
  }
  update_own(c, own);
  tot.created++;
  int index = group_intern(c->group, id ? id : "");
  if (index == c->own) {
    violation(c, "self_event", id, "connection created about itself");
  } else {
    switch (id_get(c, index)) {
      case ID_PRESENT:
        violation(c, "duplicate_created", id, "created while present");
        break;
      case ID_GONE:
        violation(c, "recreated", id, "created after it was dropped");
        break;
      case ID_UNKNOWN:
        id_set(c, index, ID_PRESENT);
        c->roster_count++;
        c->roster_hash += c->group->id_hashes[index];
        tot.roster_sum++;
        break;
    }
  }
#ifdef OTC_HAVE_EVENT_SEQ
  if (index < c->group->id_count && !c->group->datas[index] && data) {
    c->group->datas[index] = xstrdup(data);
  }
  check_seq(c, seq, index, false, 0);
#else
  (void)seq;
#endif
  if (is_marked(data)) {
    mark_event(c, data, id, otc_connection_get_creation_time(connection), false, 0, t);
  }
  check_full(c, t);
  pthread_mutex_unlock(&lock);
}

static void on_connection_dropped(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  int64_t t = now_ns();
  struct client* c = user_data;
  const char* own = own_id_of(session);
  const char* id = otc_connection_get_id(connection);
  const char* data = otc_connection_get_data(connection);
  int reason = (int)otc_connection_get_drop_reason(connection) & 3;
  int64_t seq = event_seq(connection);
  pthread_mutex_lock(&lock);
  if (c->deaf) {
    pthread_mutex_unlock(&lock);
    return;
  }
  update_own(c, own);
  tot.dropped++;
  tot.reasons[reason]++;
  int index = group_intern(c->group, id ? id : "");
  if (index == c->own) {
    violation(c, "self_event", id, "connection dropped about itself");
  } else {
    switch (id_get(c, index)) {
      case ID_PRESENT:
        id_set(c, index, ID_GONE);
        c->roster_count--;
        c->roster_hash -= c->group->id_hashes[index];
        tot.roster_sum--;
        break;
      case ID_GONE:
        violation(c, "dropped_twice", id, "dropped after it was dropped");
        break;
      case ID_UNKNOWN:
        id_set(c, index, ID_GONE);
        violation(c, "dropped_unknown", id, "dropped but never created");
        break;
    }
  }
#ifdef OTC_HAVE_EVENT_SEQ
  check_seq(c, seq, index, true, reason);
#else
  (void)seq;
#endif
  if (is_marked(data)) {
    mark_event(c, data, id, otc_connection_get_creation_time(connection), true, reason, t);
  }
  pthread_mutex_unlock(&lock);
}

static void on_connected(otc_session* session, void* user_data) {
  int64_t t = now_ns();
  struct client* c = user_data;
  const otc_connection* self = otc_session_get_connection(session);
  const char* own = otc_connection_get_id(self);
  const char* data = otc_connection_get_data(self);
  pthread_mutex_lock(&lock);
  c->connected_ns = t;
  update_own(c, own);
  set_state(c, ST_CONNECTED);
  if (is_marked(data)) {
    c->marked = true;
    c->group->marked_counts[ST_CONNECTED]++;
    report_self_mark(c, "connected", data, otc_connection_get_creation_time(self));
  }
  check_full(c, t);
  pthread_mutex_unlock(&lock);
}

static void on_reconnection_started(otc_session* session, void* user_data) {
  (void)session;
  struct client* c = user_data;
  pthread_mutex_lock(&lock);
  tot.reconnecting++;
  if (c->state == ST_CONNECTED) {
    set_state(c, ST_RECONNECTING);
  }
  pthread_mutex_unlock(&lock);
}

static void on_reconnected(otc_session* session, void* user_data) {
  int64_t t = now_ns();
  struct client* c = user_data;
  const char* own = own_id_of(session);
  pthread_mutex_lock(&lock);
  tot.reconnected++;
  update_own(c, own);
  if (c->state == ST_RECONNECTING) {
    set_state(c, ST_CONNECTED);
  }
  check_full(c, t);
  pthread_mutex_unlock(&lock);
}

static void on_disconnected(otc_session* session, void* user_data) {
  (void)session;
  struct client* c = user_data;
  pthread_mutex_lock(&lock);
  if (c->state == ST_LEAVING) {
    set_state(c, ST_LEFT);
  } else {
    tot.ends++;
    set_state(c, ST_ENDED);
  }
  if (c->full) {
    c->full = false;
    c->group->full_count--;
  }
  report_full_if_done(c->group);
  pthread_mutex_unlock(&lock);
}

static void on_error(otc_session* session, void* user_data, const char* error_string,
                     enum otc_session_error_code error) {
  (void)session;
  struct client* c = user_data;
  pthread_mutex_lock(&lock);
  tot.errors++;
  if (tot.lines_printed < opt.max_lines) {
    tot.lines_printed++;
    cJSON* o = line_new("error");
    cJSON_AddNumberToObject(o, "client", c->index);
    cJSON_AddStringToObject(o, "session", c->group->name);
    cJSON_AddNumberToObject(o, "code", (double)error);
    cJSON_AddStringToObject(o, "message", error_string ? error_string : "");
    cJSON_AddStringToObject(o, "state", state_names[c->state]);
    emit(o);
  }
  if (c->state == ST_CONNECTING) {
    set_state(c, ST_FAILED); /* a failed first attempt is final */
    report_full_if_done(c->group);
  }
  pthread_mutex_unlock(&lock);
}

static void on_log(enum otc_log_level level, const char* message, void* user_data) {
  (void)level;
  (void)user_data;
  pthread_mutex_lock(&lock);
  if (log_printed < opt.max_lines) {
    log_printed++;
    fprintf(stderr, "otc-load: libotc: %s\n", message);
  } else {
    log_suppressed++;
  }
  pthread_mutex_unlock(&lock);
}

/* --- commands (main thread) ---------------------------------------------- */

static void add_client(const char* session_id, const char* token, const char* tag) {
  struct client* c = calloc(1, sizeof *c);
  if (!c) {
    die("out of memory");
  }
  c->own = -1;
  c->last_seq = -1;
  c->token = xstrdup(token);
  c->tag = xstrdup(tag);
  pthread_mutex_lock(&lock);
  c->index = client_count;
  c->group = group_find(session_id, true);
  c->state = ST_PENDING;
  state_counts[ST_PENDING]++;
  c->group->counts[ST_PENDING]++;
  if (client_count == client_capacity) {
    client_capacity = client_capacity ? client_capacity * 2 : 256;
    clients = xrealloc(clients, sizeof *clients * client_capacity);
  }
  clients[client_count++] = c;
  if (pending_head + pending_count == pending_capacity) {
    memmove(pending, pending + pending_head, sizeof *pending * (size_t)pending_count);
    pending_head = 0;
    if (pending_count == pending_capacity) {
      pending_capacity = pending_capacity ? pending_capacity * 2 : 256;
      pending = xrealloc(pending, sizeof *pending * pending_capacity);
    }
  }
  pending[pending_head + pending_count++] = c->index;
  pthread_mutex_unlock(&lock);
}

static otc_session_settings* make_settings(void) {
  otc_session_settings* s = otc_session_settings_new();
  if (!s || otc_session_settings_set_server_url(s, opt.url) != OTC_SUCCESS) {
    die("bad --url");
  }
  if (opt.suppress) {
    otc_session_settings_set_connection_events_suppressed(s, OTC_TRUE);
  }
  if (opt.heartbeat_interval_ms > 0 &&
      otc_session_settings_set_heartbeat(s, opt.heartbeat_interval_ms,
                                         opt.heartbeat_timeout_ms) != OTC_SUCCESS) {
    die("bad --heartbeat");
  }
  if (opt.backoff_ms > 0 &&
      otc_session_settings_set_reconnection(s, opt.backoff_ms, opt.backoff_cap_ms,
                                            opt.give_up_ms) != OTC_SUCCESS) {
    die("bad --reconnect");
  }
  return s;
}

static void connect_failed(struct client* c, otc_status status) {
  pthread_mutex_lock(&lock);
  tot.errors++;
  if (tot.lines_printed < opt.max_lines) {
    tot.lines_printed++;
    cJSON* o = line_new("error");
    cJSON_AddNumberToObject(o, "client", c->index);
    cJSON_AddNumberToObject(o, "code", status);
    cJSON_AddStringToObject(o, "message", otc_status_string(status));
    cJSON_AddStringToObject(o, "state", "pending");
    emit(o);
  }
  set_state(c, ST_FAILED);
  pthread_mutex_unlock(&lock);
}

static const struct otc_session_callbacks callbacks_template = {
    .on_connected = on_connected,
    .on_reconnection_started = on_reconnection_started,
    .on_reconnected = on_reconnected,
    .on_disconnected = on_disconnected,
    .on_connection_created = on_connection_created,
    .on_connection_dropped = on_connection_dropped,
    .on_error = on_error,
};

/* Connects up to `budget` pending clients. libotc is called without `lock`. */
static void connect_pending(int budget, otc_session_settings* settings) {
  while (budget-- > 0) {
    pthread_mutex_lock(&lock);
    if (held || pending_count == 0) {
      pthread_mutex_unlock(&lock);
      return;
    }
    struct client* c = clients[pending[pending_head++]];
    pending_count--;
    set_state(c, ST_CONNECTING);
    c->connect_ns = now_ns();
    pthread_mutex_unlock(&lock);

    struct otc_session_callbacks callbacks = callbacks_template;
    callbacks.user_data = c;
    c->session = otc_session_new_with_settings(opt.api_key, c->group->name, &callbacks, settings);
    if (!c->session) {
      connect_failed(c, OTC_ERROR);
      continue;
    }
    otc_status status = otc_session_connect(c->session, c->token);
    free(c->token);
    c->token = NULL;
    if (status != OTC_SUCCESS) {
      connect_failed(c, status);
    }
  }
}

static void emit_progress(void) {
  cJSON* o = line_new("progress");
  cJSON_AddNumberToObject(o, "clients", client_count);
  for (int s = 0; s < ST_COUNT; s++) {
    cJSON_AddNumberToObject(o, state_names[s], state_counts[s]);
  }
  add_i64(o, "created", tot.created);
  add_i64(o, "dropped", tot.dropped);
  add_i64(o, "dropped_client", tot.reasons[OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED]);
  add_i64(o, "dropped_network", tot.reasons[OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED]);
  add_i64(o, "dropped_force", tot.reasons[OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED]);
  add_i64(o, "reconnects_started", tot.reconnecting);
  add_i64(o, "reconnects_done", tot.reconnected);
  add_i64(o, "errors", tot.errors);
  add_i64(o, "ends", tot.ends);
  add_i64(o, "violations", tot.violations);
  add_i64(o, "roster_sum", tot.roster_sum);
  add_i64(o, "full", tot.full);
  add_i64(o, "log_suppressed", log_suppressed);
  emit(o);
}

static void emit_roster(const struct client* c, bool with_ids) {
  cJSON* o = line_new("roster");
  cJSON_AddNumberToObject(o, "client", c->index);
  cJSON_AddStringToObject(o, "tag", c->tag);
  cJSON_AddStringToObject(o, "session", c->group->name);
  cJSON_AddStringToObject(o, "state", state_names[c->state]);
  cJSON_AddStringToObject(o, "id", c->own >= 0 ? c->group->ids[c->own] : "");
  cJSON_AddNumberToObject(o, "count", c->roster_count);
  add_hash(o, "hash", c->roster_hash);
  cJSON_AddNumberToObject(o, "own_changes", c->own_changes);
  if (with_ids) {
    cJSON* ids = cJSON_AddArrayToObject(o, "ids");
    for (int i = 0; i < c->ids_capacity && i < c->group->id_count; i++) {
      if (id_get(c, i) == ID_PRESENT) {
        cJSON_AddItemToArray(ids, cJSON_CreateString(c->group->ids[i]));
      }
    }
  }
  emit(o);
}

static void dump_rosters(bool with_ids) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < client_count; i++) {
    emit_roster(clients[i], with_ids);
  }
  cJSON* o = line_new("roster_end");
  cJSON_AddNumberToObject(o, "clients", client_count);
  emit(o);
  pthread_mutex_unlock(&lock);
}

/* One `seqlog` line: every event of the session seen here, by seq, as the
 * first client to see each seq saw it (the others were checked against it).
 * The harness compares these logs across processes: one order for all. */
static void dump_seqlog(const char* session_id) {
  pthread_mutex_lock(&lock);
  struct group* g = group_find(session_id, false);
  cJSON* o = line_new("seqlog");
  cJSON_AddStringToObject(o, "session", session_id);
  cJSON_AddBoolToObject(o, "restarted", g && g->seq_check_off);
  cJSON* events = cJSON_AddArrayToObject(o, "events");
  for (int64_t seq = 0; g && seq < g->seq_capacity; seq++) {
    int32_t event = g->seq_events[seq] - 1;
    if (event < 0) {
      continue;
    }
    int index = event >> 3;
    cJSON* e = cJSON_CreateArray();
    cJSON_AddItemToArray(e, cJSON_CreateNumber((double)seq));
    cJSON_AddItemToArray(e, cJSON_CreateString((event & 1) ? "dropped" : "created"));
    cJSON_AddItemToArray(e, cJSON_CreateString(g->ids[index]));
    cJSON_AddItemToArray(e, cJSON_CreateString(g->datas[index] ? g->datas[index] : ""));
    cJSON_AddItemToArray(e, cJSON_CreateString((event & 1) ? reason_names[(event >> 1) & 3] : ""));
    cJSON_AddItemToArray(events, e);
  }
  emit(o);
  pthread_mutex_unlock(&lock);
}

static void dump_marks(void) {
  pthread_mutex_lock(&lock);
  for (struct mark* m = marks; m; m = m->next) {
    emit(mark_line(m));
  }
  emit(line_new("marks_end"));
  pthread_mutex_unlock(&lock);
}

static void set_expect(const char* session_id, int expect) {
  pthread_mutex_lock(&lock);
  struct group* g = group_find(session_id, true);
  g->expect = expect;
  g->full_count = 0;
  g->full_reported = false;
  g->first_full_ns = g->last_full_ns = 0;
  int64_t t = now_ns();
  for (int i = 0; i < client_count; i++) {
    if (clients[i]->group == g) {
      clients[i]->full = false;
      check_full(clients[i], t);
    }
  }
  pthread_mutex_unlock(&lock);
}

/* Disconnects up to `count` connected clients (with `tag`, when given). */
static void leave(int count, const char* tag) {
  otc_session** chosen = calloc((size_t)(count > 0 ? count : 1), sizeof *chosen);
  if (!chosen) {
    die("out of memory");
  }
  int n = 0;
  pthread_mutex_lock(&lock);
  cJSON* o = line_new("leaving");
  cJSON* ids = cJSON_AddArrayToObject(o, "ids");
  for (int i = 0; i < client_count && n < count; i++) {
    struct client* c = clients[i];
    if (c->state == ST_CONNECTED && (!tag || strcmp(c->tag, tag) == 0)) {
      set_state(c, ST_LEAVING);
      if (c->full) {
        c->full = false;
        c->group->full_count--;
      }
      cJSON_AddItemToArray(ids, cJSON_CreateString(c->own >= 0 ? c->group->ids[c->own] : ""));
      chosen[n++] = c->session;
    }
  }
  emit(o);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < n; i++) {
    otc_session_disconnect(chosen[i]);
  }
  free(chosen);
}

static bool quit_requested;

static int word_split(char* line, char** words, int max) {
  int n = 0;
  for (char* save = NULL, *w = strtok_r(line, " \t\r", &save); w && n < max;
       w = strtok_r(NULL, " \t\r", &save)) {
    words[n++] = w;
  }
  return n;
}

static void bad_command(const char* text) {
  pthread_mutex_lock(&lock);
  cJSON* o = line_new("bad_command");
  cJSON_AddStringToObject(o, "text", text);
  emit(o);
  pthread_mutex_unlock(&lock);
}

static void inject(int pairs);

static void run_command(char* line) {
  char copy[256];
  snprintf(copy, sizeof copy, "%s", line);
  char* w[4];
  int n = word_split(line, w, 4);
  if (n == 0 || w[0][0] == '#') {
    return;
  }
  const char* cmd = w[0];
  if (strcmp(cmd, "add") == 0 && (n == 3 || n == 4)) {
    add_client(w[1], w[2], n == 4 ? w[3] : "");
  } else if (strcmp(cmd, "hold") == 0) {
    pthread_mutex_lock(&lock);
    held = true;
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "go") == 0) {
    pthread_mutex_lock(&lock);
    held = false;
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "rate") == 0 && n == 2) {
    opt.rate = atof(w[1]);
  } else if (strcmp(cmd, "expect") == 0 && n == 3) {
    set_expect(w[1], atoi(w[2]));
  } else if (strcmp(cmd, "leave") == 0 && (n == 2 || n == 3)) {
    leave(atoi(w[1]), n == 3 ? w[2] : NULL);
  } else if (strcmp(cmd, "roster") == 0) {
    dump_rosters(n == 2 && strcmp(w[1], "full") == 0);
  } else if (strcmp(cmd, "roster-client") == 0 && n == 2) {
    int i = atoi(w[1]);
    pthread_mutex_lock(&lock);
    if (i >= 0 && i < client_count) {
      emit_roster(clients[i], true);
    }
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "inject") == 0 && n == 2) {
    inject(atoi(w[1]));
  } else if (strcmp(cmd, "deafen") == 0 && n == 2) {
    int i = atoi(w[1]);
    pthread_mutex_lock(&lock);
    if (i >= 0 && i < client_count) {
      clients[i]->deaf = true;
    }
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "stats") == 0) {
    pthread_mutex_lock(&lock);
    emit_progress();
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "seqlog") == 0 && n == 2) {
    dump_seqlog(w[1]);
  } else if (strcmp(cmd, "marks") == 0) {
    dump_marks();
  } else if (strcmp(cmd, "echo") == 0) {
    pthread_mutex_lock(&lock);
    cJSON* o = line_new("echo");
    cJSON_AddStringToObject(o, "text", n > 1 ? w[1] : "");
    emit(o);
    pthread_mutex_unlock(&lock);
  } else if (strcmp(cmd, "quit") == 0) {
    quit_requested = true;
  } else if (n == 2 || n == 3) {
    add_client(w[0], w[1], n == 3 ? w[2] : ""); /* a bare "SESSION TOKEN [TAG]" */
  } else {
    bad_command(copy);
  }
}

/* Reads what stdin has and runs each complete line. False at end of input. */
static bool read_commands(void) {
  static char buffer[64 * 1024];
  static size_t used;
  ssize_t n = read(STDIN_FILENO, buffer + used, sizeof buffer - 1 - used);
  if (n < 0) {
    return errno == EINTR || errno == EAGAIN;
  }
  if (n == 0) {
    if (used > 0) {
      buffer[used] = '\0';
      run_command(buffer);
      used = 0;
    }
    return false;
  }
  used += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < used; i++) {
    if (buffer[i] == '\n') {
      buffer[i] = '\0';
      run_command(buffer + start);
      start = i + 1;
    }
  }
  memmove(buffer, buffer + start, used - start);
  used -= start;
  if (used == sizeof buffer - 1) {
    die("command line too long");
  }
  return true;
}

static void load_tokens_file(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(1);
  }
  char* line = NULL;
  size_t size = 0;
  while (getline(&line, &size, f) >= 0) {
    line[strcspn(line, "\n")] = '\0';
    char* w[3];
    int n = word_split(line, w, 3);
    if (n >= 2 && w[0][0] != '#') {
      add_client(w[0], w[1], n == 3 ? w[2] : "");
    }
  }
  free(line);
  fclose(f);
}

/* --- callback cost: events injected without a network ----------------------- */

/* The cheapest C callbacks: count, and wake the waiter at the end. */
static pthread_mutex_t inject_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inject_done = PTHREAD_COND_INITIALIZER;
static long long inject_seen, inject_target;

static void inject_count(void) {
  pthread_mutex_lock(&inject_lock);
  if (++inject_seen == inject_target) {
    pthread_cond_signal(&inject_done);
  }
  pthread_mutex_unlock(&inject_lock);
}

static void inject_created(otc_session* s, void* u, const otc_connection* c) {
  (void)s, (void)u, (void)c;
  inject_count();
}

static void inject_dropped(otc_session* s, void* u, const otc_connection* c) {
  (void)s, (void)u, (void)c;
  inject_count();
}

/* Delivers `pairs` created+dropped pairs through libotc's test hook to a C
 * callback and reports the time per event, as the binding's Java figure's
 * counterpart. */
static void inject(int pairs) {
  struct otc_session_callbacks callbacks = {
      .on_connection_created = inject_created, .on_connection_dropped = inject_dropped};
  otc_session* session = otc_session_new(opt.api_key, "inject", &callbacks);
  if (!session || pairs <= 0) {
    bad_command("inject: cannot create a session, or no events");
    return;
  }
  pthread_mutex_lock(&inject_lock);
  inject_seen = 0;
  inject_target = 2LL * pairs;
  pthread_mutex_unlock(&inject_lock);
  int64_t start = now_ns();
  otc_status status = otc_session_test_inject_connection_events(session, pairs);
  pthread_mutex_lock(&inject_lock);
  while (status == OTC_SUCCESS && inject_seen < inject_target) {
    pthread_cond_wait(&inject_done, &inject_lock);
  }
  pthread_mutex_unlock(&inject_lock);
  int64_t elapsed = now_ns() - start;
  otc_session_delete(session);
  pthread_mutex_lock(&lock);
  cJSON* o = line_new("inject");
  add_i64(o, "events", 2LL * pairs);
  add_i64(o, "elapsed_ns", elapsed);
  cJSON_AddNumberToObject(o, "ns_per_event", (double)elapsed / (2.0 * pairs));
  cJSON_AddStringToObject(o, "status", otc_status_string(status));
  emit(o);
  pthread_mutex_unlock(&lock);
}

/* --- main ------------------------------------------------------------------ */

static void on_signal(int signal_number) {
  if (signal_number == SIGUSR1) {
    got_usr1 = 1;
  } else {
    got_term = 1;
  }
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: poll() wakes up */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static bool parse_ints(const char* text, int* a, int* b, int* c) {
  int n = c ? sscanf(text, "%d,%d,%d", a, b, c) : sscanf(text, "%d,%d", a, b);
  return n == (c ? 3 : 2);
}

static void parse_options(int argc, char** argv) {
  enum { O_URL = 1, O_KEY, O_TOKENS, O_RATE, O_HOLD, O_PROGRESS, O_MARK, O_SUPPRESS,
         O_HEARTBEAT, O_RECONNECT, O_ROSTER_EXIT, O_EOF, O_MAX_LINES, O_LOG, O_HELP };
  static const struct option longs[] = {
      {"url", required_argument, 0, O_URL},
      {"api-key", required_argument, 0, O_KEY},
      {"tokens", required_argument, 0, O_TOKENS},
      {"rate", required_argument, 0, O_RATE},
      {"hold", no_argument, 0, O_HOLD},
      {"progress-ms", required_argument, 0, O_PROGRESS},
      {"mark-prefix", required_argument, 0, O_MARK},
      {"suppress", no_argument, 0, O_SUPPRESS},
      {"heartbeat", required_argument, 0, O_HEARTBEAT},
      {"reconnect", required_argument, 0, O_RECONNECT},
      {"roster-at-exit", no_argument, 0, O_ROSTER_EXIT},
      {"exit-on-eof", no_argument, 0, O_EOF},
      {"max-lines", required_argument, 0, O_MAX_LINES},
      {"log-level", required_argument, 0, O_LOG},
      {"help", no_argument, 0, O_HELP},
      {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (o) {
      case O_URL: opt.url = optarg; break;
      case O_KEY: opt.api_key = optarg; break;
      case O_TOKENS: opt.tokens_file = optarg; break;
      case O_RATE: opt.rate = atof(optarg); break;
      case O_HOLD: opt.hold = true; break;
      case O_PROGRESS: opt.progress_ms = atoi(optarg); break;
      case O_MARK: opt.mark_prefix = optarg; break;
      case O_SUPPRESS: opt.suppress = true; break;
      case O_HEARTBEAT:
        if (!parse_ints(optarg, &opt.heartbeat_interval_ms, &opt.heartbeat_timeout_ms, NULL)) {
          die("--heartbeat wants INTERVAL,TIMEOUT");
        }
        break;
      case O_RECONNECT:
        if (!parse_ints(optarg, &opt.backoff_ms, &opt.backoff_cap_ms, &opt.give_up_ms)) {
          die("--reconnect wants BACKOFF,CAP,GIVE_UP");
        }
        break;
      case O_ROSTER_EXIT: opt.roster_at_exit = true; break;
      case O_EOF: opt.exit_on_eof = true; break;
      case O_MAX_LINES: opt.max_lines = atol(optarg); break;
      case O_LOG: opt.log_level = atoi(optarg); break;
      case O_HELP: fputs(usage, stdout); exit(0);
      default: fputs(usage, stderr); exit(1);
    }
  }
  if (!opt.url || !opt.api_key || optind != argc) {
    fputs(usage, stderr);
    exit(1);
  }
}

/* How many pending clients may connect now under --rate. */
static int connect_budget(int64_t* last_ns, double* credit) {
  if (opt.rate <= 0) {
    *last_ns = now_ns();
    return pending_count;
  }
  int64_t t = now_ns();
  *credit += opt.rate * (double)(t - *last_ns) / 1e9;
  *last_ns = t;
  double cap = opt.rate / 10 > 1 ? opt.rate / 10 : 1;
  if (*credit > cap) {
    *credit = cap;
  }
  int budget = (int)*credit;
  *credit -= budget;
  return budget;
}

static void shut_down(void) {
  if (opt.roster_at_exit) {
    dump_rosters(false);
  }
  /* Clean leave for everyone still in, then a bounded wait for the closes. */
  pthread_mutex_lock(&lock);
  int count = 0;
  for (int i = 0; i < client_count; i++) {
    if (clients[i]->session && state_is_active(clients[i]->state) &&
        clients[i]->state != ST_PENDING) {
      count++;
    }
  }
  pthread_mutex_unlock(&lock);
  leave(count, NULL);
  for (int waited = 0; waited < 3000; waited += 20) {
    pthread_mutex_lock(&lock);
    bool done = state_counts[ST_LEAVING] == 0;
    pthread_mutex_unlock(&lock);
    if (done) {
      break;
    }
    poll(NULL, 0, 20);
  }
  for (int i = 0; i < client_count; i++) {
    if (clients[i]->session) {
      otc_session_delete(clients[i]->session);
    }
  }
  otc_destroy();
  pthread_mutex_lock(&lock);
  emit_progress();
  emit(line_new("bye"));
  pthread_mutex_unlock(&lock);
}

int main(int argc, char** argv) {
  parse_options(argc, argv);
  install_signals();
  otc_log_set_callback(on_log, NULL);
  otc_log_enable(opt.log_level);
  if (otc_init(NULL) != OTC_SUCCESS) {
    die("otc_init failed");
  }
  otc_session_settings* settings = make_settings();
  held = opt.hold;
  if (opt.tokens_file) {
    load_tokens_file(opt.tokens_file);
  }

  bool stdin_open = true;
  int64_t last_progress = now_ns(), last_connect = now_ns();
  double credit = 0;
  while (!quit_requested && !got_term) {
    pthread_mutex_lock(&lock);
    int budget = connect_budget(&last_connect, &credit);
    bool more_pending = pending_count > 0 && !held;
    pthread_mutex_unlock(&lock);
    connect_pending(budget, settings);

    int timeout = more_pending ? 5 : 100;
    if (opt.progress_ms > 0 && opt.progress_ms < timeout) {
      timeout = opt.progress_ms;
    }
    struct pollfd in = {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN};
    if (poll(&in, 1, timeout) > 0 && (in.revents & (POLLIN | POLLHUP))) {
      stdin_open = read_commands();
      if (!stdin_open && opt.exit_on_eof) {
        quit_requested = true;
      }
    }
    if (got_usr1) {
      got_usr1 = 0;
      dump_rosters(false);
    }
    int64_t t = now_ns();
    if (opt.progress_ms > 0 && t - last_progress >= (int64_t)opt.progress_ms * 1000000) {
      last_progress = t;
      pthread_mutex_lock(&lock);
      emit_progress();
      pthread_mutex_unlock(&lock);
    }
  }
  shut_down();
  otc_session_settings_delete(settings);
  return tot.violations > 0 ? 2 : 0;
}
