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
 * receive time. That measures lone-event latency and departure detection.
 *
 * This file is the generator and main loop; otc_load.h says where the rest is. */

#include "otc_load.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
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
    "  seqlog SESSION            the session's events seen here by (epoch, seq),\n"
    "                            with connection, data, drop reason and epoch\n"
    "  echo TEXT                 answers {\"type\":\"echo\",\"text\":TEXT}\n"
    "  deafen I                  test fault: client I ignores all later events\n"
    "  inject N                  N created+dropped pairs through libotc's test hook\n"
    "                            to a counting C callback: ns per event (no network)\n"
    "  quit                      disconnect everyone cleanly and exit\n"
    "SIGUSR1 dumps rosters; SIGINT/SIGTERM quit.\n"
    "Exit codes: 0 clean, 1 usage or fatal error, 2 violations were seen.\n";


struct options opt = {
    .progress_ms = 1000, .mark_prefix = "mark:", .max_lines = 100, .log_level = 1};


pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards all below */
struct client** clients;
int client_count, client_capacity;
struct group** groups;
int group_count, group_capacity;
struct mark* marks;
struct totals tot;
int state_counts[ST_COUNT];
static int* pending; /* FIFO of client indexes */
static int pending_head, pending_count, pending_capacity;
bool held;
long long log_suppressed;
static long log_printed;

static volatile sig_atomic_t got_usr1, got_term;

/* --- small helpers ------------------------------------------------------- */

int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void die(const char* what) {
  fprintf(stderr, "otc-load: %s\n", what);
  exit(1);
}

void* xrealloc(void* p, size_t size) {
  void* q = realloc(p, size ? size : 1);
  if (!q) {
    die("out of memory");
  }
  return q;
}

char* xstrdup(const char* s) {
  char* copy = strdup(s ? s : "");
  if (!copy) {
    die("out of memory");
  }
  return copy;
}

/* FNV-1a 64: the roster hash is the sum of this over the IDs (order-free). */
uint64_t fnv1a64(const char* s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
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

void add_client(const char* session_id, const char* token, const char* tag) {
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


/* Disconnects up to `count` connected clients (with `tag`, when given). */
void leave(int count, const char* tag) {
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
void inject(int pairs) {
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
