/* otc-load's checker: for every client, the guarantees of docs/protocol.md
 * (each other connection created once, destroyed at most once and after its
 * creation, never re-created, no event about the client itself; events in
 * seq order, and the same event at the same seq for every client of the
 * session in this process), "full" rosters, and marks. See otc_load.h. */

#include "otc_load.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char* const state_names[ST_COUNT] = {
    "pending", "connecting", "connected", "reconnecting",
    "leaving", "left", "ended", "failed"};


/* --- groups and interned IDs --------------------------------------------- */

struct group* group_find(const char* name, bool create) {
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

/* The slot hash of an ID, 8 bytes a step: every event looks its ID up, and
 * FNV-1a's byte loop was a tenth of the checker's cost in a storm. FNV-1a
 * (the roster hash the harness recomputes) is taken once per new ID. */
static uint64_t lookup_hash(const char* id, size_t length) {
  uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ length;
  for (; length >= 8; id += 8, length -= 8) {
    uint64_t word;
    memcpy(&word, id, 8);
    h = (h ^ word) * UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
  }
  if (length > 0) {
    uint64_t word = 0;
    memcpy(&word, id, length);
    h = (h ^ word) * UINT64_C(0xbf58476d1ce4e5b9);
  }
  h ^= h >> 31;
  h *= UINT64_C(0x94d049bb133111eb);
  return h ^ (h >> 29);
}

#define KEY_SIZE sizeof(((struct id_slot*)0)->key)

static void slot_put(struct group* g, uint64_t h, int index, const char* id, size_t length) {
  size_t mask = (size_t)g->slot_count - 1;
  size_t slot = h & mask;
  while (g->slots[slot].index) {
    slot = (slot + 1) & mask;
  }
  struct id_slot* e = &g->slots[slot];
  e->hash = h;
  e->index = index + 1;
  e->length = (uint32_t)length;
  memcpy(e->key, id, length < KEY_SIZE ? length : KEY_SIZE);
}

static void group_rehash(struct group* g) {
  g->slot_count = g->slot_count ? g->slot_count * 2 : 64;
  free(g->slots);
  g->slots = calloc((size_t)g->slot_count, sizeof *g->slots);
  if (!g->slots) {
    die("out of memory");
  }
  for (int i = 0; i < g->id_count; i++) {
    size_t length = strlen(g->ids[i]);
    slot_put(g, lookup_hash(g->ids[i], length), i, g->ids[i], length);
  }
}

/* Whether slot `e` holds `id`: exact, from the slot's line alone for IDs that fit its key (the
 * ID strings themselves, touched once per event, were a sixth of the checker's storm cost in
 * cache misses). */
static bool slot_holds(const struct group* g, const struct id_slot* e, uint64_t h, const char* id,
                       size_t length) {
  if (e->hash != h || e->length != length) {
    return false;
  }
  if (length <= KEY_SIZE) {
    return memcmp(e->key, id, length) == 0;
  }
  return memcmp(e->key, id, KEY_SIZE) == 0 && strcmp(g->ids[e->index - 1], id) == 0;
}

/* The index of a connection ID in its group, added when new. */
static int group_intern(struct group* g, const char* id) {
  size_t length = strlen(id);
  uint64_t h = lookup_hash(id, length);
  if (g->slot_count) {
    size_t mask = (size_t)g->slot_count - 1;
    for (size_t slot = h & mask; g->slots[slot].index; slot = (slot + 1) & mask) {
      if (slot_holds(g, &g->slots[slot], h, id, length)) {
        return g->slots[slot].index - 1;
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
  g->id_hashes[index] = fnv1a64(id);
  if (g->id_count * 2 > g->slot_count) {
    group_rehash(g);
  } else {
    slot_put(g, h, index, id, length);
  }
  return index;
}

/* --- per-client knowledge of IDs ----------------------------------------- */

enum id_state id_get(const struct client* c, int index) {
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

void set_state(struct client* c, enum client_state next) {
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

void report_full_if_done(struct group* g) {
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

void check_full(struct client* c, int64_t t) {
  struct group* g = c->group;
  if (c->full || g->expect <= 0 || c->state != ST_CONNECTED ||
      c->roster_count != g->expect - 1) {
    return;
  }
  if (t == 0) {
    t = now_ns();
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

void violation(struct client* c, const char* kind, const char* id, const char* detail) {
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
void update_own(struct client* c, const char* own_id) {
  if (!own_id || !own_id[0]) {
    return;
  }
  if (c->own >= 0 && strcmp(c->group->ids[c->own], own_id) == 0) {
    return;
  }
  if (c->own >= 0) {
    c->own_changes++;
    if (c->last_epoch == 0) { /* v1: the new server's seqs start over */
      c->last_seq = -1;
      c->group->seq_check_off = true;
    }
  }
  c->own = group_intern(c->group, own_id);
}

const char* own_id_of(otc_session* session) {
  return otc_connection_get_id(otc_session_get_connection(session));
}

const char* const reason_names[4] = {
    "none", "clientDisconnected", "networkDisconnected", "forceDisconnected"};

/* --- seq checks (only when libotc exposes the event seq) ------------------- */

#ifdef OTC_HAVE_EVENT_SEQ
/* The log of `epoch` in the group, added (in epoch order) when new. */
static struct epoch_log* epoch_log_of(struct group* g, int64_t epoch) {
  int i = 0;
  while (i < g->epoch_count && g->epochs[i].epoch < epoch) {
    i++;
  }
  if (i < g->epoch_count && g->epochs[i].epoch == epoch) {
    return &g->epochs[i];
  }
  g->epochs = xrealloc(g->epochs, sizeof *g->epochs * (size_t)(g->epoch_count + 1));
  memmove(&g->epochs[i + 1], &g->epochs[i], sizeof *g->epochs * (size_t)(g->epoch_count - i));
  g->epoch_count++;
  g->epochs[i] = (struct epoch_log){.epoch = epoch};
  return &g->epochs[i];
}

/* Each client's events come in (epoch, seq) order, and every client of the
 * session here saw the same event at the same (epoch, seq). */
static void check_seq(struct client* c, int64_t epoch, int64_t seq, int index, bool dropped,
                      int reason) {
  if (seq < 0) {
    return; /* from a roster snapshot or a reconciliation, not an event */
  }
  char detail[160];
  if (epoch < c->last_epoch || (epoch == c->last_epoch && seq <= c->last_seq)) {
    snprintf(detail, sizeof detail, "(epoch %" PRId64 ", seq %" PRId64 ") after (%" PRId64 ", %" PRId64 ")",
             epoch, seq, c->last_epoch, c->last_seq);
    violation(c, "out_of_order", c->group->ids[index], detail);
  }
  c->last_epoch = epoch;
  c->last_seq = seq;
  struct group* g = c->group;
  if ((epoch == 0 && g->seq_check_off) || seq > (int64_t)100000000) {
    return;
  }
  struct epoch_log* log = epoch_log_of(g, epoch);
  if (seq >= log->capacity) {
    int64_t capacity = log->capacity ? log->capacity : 1024;
    while (capacity <= seq) {
      capacity *= 2;
    }
    log->events = xrealloc(log->events, sizeof *log->events * (size_t)capacity);
    memset(log->events + log->capacity, 0, sizeof *log->events * (size_t)(capacity - log->capacity));
    log->capacity = capacity;
  }
  int32_t event =
      (int32_t)(((uint32_t)index << 3) | ((uint32_t)(reason & 3) << 1) | (dropped ? 1u : 0u)) + 1;
  if (log->events[seq] == 0) {
    log->events[seq] = event;
  } else if (log->events[seq] != event) {
    int32_t other = log->events[seq] - 1;
    snprintf(detail, sizeof detail,
             "(epoch %" PRId64 ", seq %" PRId64 ") is %s (%s) here, %s (%s) of %s at another client",
             epoch, seq, dropped ? "dropped" : "created", reason_names[reason & 3],
             (other & 1) ? "dropped" : "created", reason_names[(other >> 1) & 3], g->ids[other >> 3]);
    violation(c, "seq_mismatch", g->ids[index], detail);
  }
}
#endif

/* --- marks ----------------------------------------------------------------- */

bool is_marked(const char* data) {
  size_t n = strlen(opt.mark_prefix);
  return n > 0 && data && strncmp(data, opt.mark_prefix, n) == 0;
}

cJSON* mark_line(const struct mark* m) {
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

void report_self_mark(struct client* c, const char* event, const char* data,
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

static int64_t event_epoch(const otc_connection* connection) {
#ifdef OTC_HAVE_EVENT_EPOCH
  return otc_connection_get_event_epoch(connection);
#else
  (void)connection;
  return 0;
#endif
}

void on_connection_created(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  struct client* c = user_data;
  const char* own = own_id_of(session);
  const char* id = otc_connection_get_id(connection);
  const char* data = otc_connection_get_data(connection);
  /* The clock only for a mark or a full roster (check_full reads it then): per event it
   * was a twentieth of the checker's cost in a storm. */
  bool marked = is_marked(data);
  int64_t t = marked ? now_ns() : 0;
  int64_t seq = event_seq(connection);
  int64_t epoch = event_epoch(connection);
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
  check_seq(c, epoch, seq, index, false, 0);
#else
  (void)seq;
  (void)epoch;
#endif
  if (marked) {
    mark_event(c, data, id, otc_connection_get_creation_time(connection), false, 0, t);
  }
  check_full(c, t);
  pthread_mutex_unlock(&lock);
}

void on_connection_dropped(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  struct client* c = user_data;
  const char* own = own_id_of(session);
  const char* id = otc_connection_get_id(connection);
  const char* data = otc_connection_get_data(connection);
  bool marked = is_marked(data);
  int64_t t = marked ? now_ns() : 0;
  int reason = (int)otc_connection_get_drop_reason(connection) & 3;
  int64_t seq = event_seq(connection);
  int64_t epoch = event_epoch(connection);
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
  check_seq(c, epoch, seq, index, true, reason);
#else
  (void)seq;
  (void)epoch;
#endif
  if (marked) {
    mark_event(c, data, id, otc_connection_get_creation_time(connection), true, reason, t);
  }
  pthread_mutex_unlock(&lock);
}


void set_expect(const char* session_id, int expect) {
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
