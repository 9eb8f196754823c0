/*
 * mqtt-load: the MQTT peer of otc-load for the benchmark (docs/harness.md,
 * "Peers"). Presence the way MQTT users build it: each member publishes a
 * retained "online" on presence/<room>/<member>, sets a Last Will of a
 * retained "offline" on the same topic, and subscribes to presence/<room>/+.
 * A clean leave publishes "offline" itself (a DISCONNECT discards the will).
 * All members of a run live in this process on one poll loop (libmosquitto's
 * loop_read/loop_write/loop_misc), like otc-load's clients on libotc's loop.
 *
 *   mqtt-load --port P --mode storm --members N
 *   mqtt-load --port P --mode lone --members M --probes K
 *   mqtt-load --port P --mode departure --members OBSERVERS --victims V --kind kill|stop
 *
 * Prints one JSON line with the figures (times in ms), exit 0; 1 on error or
 * timeout (the line then says what was reached).
 */
#define _GNU_SOURCE
#include <mosquitto.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct member {
  struct mosquitto* m;
  int index;
  bool connected;
  uint8_t* known; /* bit per member index: seen online and not offline */
  int known_count;
};

static const char* host = "127.0.0.1";
static int port = 1883, keepalive = 60, qos = 1, timeout_s = 600;
static const char* mode = "storm";
static const char* kind = "kill";
static int members_wanted = 100, probes = 100, victims = 5;
static char room[64];

static struct member* members; /* observers, then a probe slot */
static int member_count, capacity_bits;
static int connected_count, full_count;
/* The probe's or a victim's index, and when each member saw its last event. */
static int watched = -1;
static bool watched_online;
static int watched_seen;
static double watched_last_ms;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char* what) {
  fprintf(stderr, "mqtt-load: %s\n", what);
  printf("{\"type\":\"error\",\"message\":\"%s\"}\n", what);
  exit(1);
}

static void topic_of(char* out, size_t size, int index) {
  snprintf(out, size, "presence/%s/%d", room, index);
}

static int others_wanted(void) {
  return member_count - 1;
}

static void on_connect(struct mosquitto* m, void* user, int rc) {
  struct member* self = user;
  if (rc != 0) {
    fprintf(stderr, "mqtt-load: member %d refused: %s\n", self->index, mosquitto_connack_string(rc));
    return;
  }
  char topic[128];
  snprintf(topic, sizeof topic, "presence/%s/+", room);
  mosquitto_subscribe(m, NULL, topic, qos);
  topic_of(topic, sizeof topic, self->index);
  mosquitto_publish(m, NULL, topic, 6, "online", qos, true);
  self->connected = true;
  connected_count++;
}

static void on_message(struct mosquitto* m, void* user, const struct mosquitto_message* msg) {
  (void)m;
  struct member* self = user;
  const char* last = strrchr(msg->topic, '/');
  if (!last) {
    return;
  }
  int index = atoi(last + 1);
  if (index == self->index || index < 0 || index >= capacity_bits) {
    return;
  }
  bool online = msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0;
  bool had = self->known[index >> 3] & (1u << (index & 7));
  if (online && !had) {
    self->known[index >> 3] |= (uint8_t)(1u << (index & 7));
    self->known_count++;
  } else if (!online && had) {
    self->known[index >> 3] &= (uint8_t)~(1u << (index & 7));
    self->known_count--;
  } else {
    return; /* a retained repeat or a duplicate */
  }
  if (index == watched && online == watched_online) {
    watched_seen++;
    watched_last_ms = now_ms();
  }
  if (self->known_count == others_wanted()) {
    full_count++;
  } else if (online == false && self->known_count == others_wanted() - 1 && had) {
    full_count--; /* it was full and lost one */
  }
}

static void member_start(int index) {
  struct member* c = &members[index];
  c->index = index;
  c->known = calloc((size_t)(capacity_bits + 7) / 8, 1);
  char id[96], topic[128];
  snprintf(id, sizeof id, "%s-%d", room, index);
  c->m = mosquitto_new(id, true, c);
  if (!c->m || !c->known) {
    die("out of memory");
  }
  topic_of(topic, sizeof topic, index);
  mosquitto_will_set(c->m, topic, 7, "offline", qos, true);
  mosquitto_connect_callback_set(c->m, on_connect);
  mosquitto_message_callback_set(c->m, on_message);
  int rc = mosquitto_connect(c->m, host, port, keepalive);
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "mqtt-load: connect %d: %s\n", index, mosquitto_strerror(rc));
  }
}

/* A clean leave: "offline" first (the broker drops the will on DISCONNECT). */
static void member_leave(int index) {
  struct member* c = &members[index];
  char topic[128];
  topic_of(topic, sizeof topic, index);
  mosquitto_publish(c->m, NULL, topic, 7, "offline", qos, true);
  mosquitto_loop_write(c->m, 1);
}

static void member_close(int index) {
  struct member* c = &members[index];
  if (c->m) {
    mosquitto_disconnect(c->m);
    mosquitto_loop_write(c->m, 1);
    mosquitto_destroy(c->m);
    c->m = NULL;
  }
  if (c->connected) {
    connected_count--;
    c->connected = false;
  }
}

/* One round of the poll loop over every live member, up to `wait_ms`. */
static void service(int wait_ms) {
  static struct pollfd* fds;
  static int* owners;
  static int fds_capacity;
  if (fds_capacity < member_count) {
    fds_capacity = member_count;
    fds = realloc(fds, sizeof *fds * (size_t)fds_capacity);
    owners = realloc(owners, sizeof *owners * (size_t)fds_capacity);
  }
  int n = 0;
  for (int i = 0; i < member_count; i++) {
    struct mosquitto* m = members[i].m;
    if (!m || mosquitto_socket(m) < 0) {
      continue;
    }
    fds[n].fd = mosquitto_socket(m);
    fds[n].events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0);
    fds[n].revents = 0;
    owners[n++] = i;
  }
  poll(fds, (nfds_t)n, wait_ms);
  for (int k = 0; k < n; k++) {
    struct mosquitto* m = members[owners[k]].m;
    if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
      mosquitto_loop_read(m, 64);
    }
    if (fds[k].revents & POLLOUT) {
      mosquitto_loop_write(m, 64);
    }
    mosquitto_loop_misc(m);
  }
}

/* Runs the loop until `done` holds, or dies after the timeout. */
static void run_until(bool (*done)(void), const char* what) {
  double deadline = now_ms() + timeout_s * 1000.0;
  while (!done()) {
    if (now_ms() > deadline) {
      char text[160];
      snprintf(text, sizeof text, "%s: timeout after %d s (connected %d, full %d of %d)", what,
               timeout_s, connected_count, full_count, member_count);
      die(text);
    }
    service(10);
  }
}

static bool all_full(void) {
  return full_count >= member_count;
}

static bool all_connected(void) {
  return connected_count >= member_count;
}

static bool watched_by_all(void) {
  return watched_seen >= member_count - 1;
}

static void setup(int count, int extra) {
  member_count = count;
  capacity_bits = count + extra;
  members = calloc((size_t)(count + extra), sizeof *members);
  if (!members) {
    die("out of memory");
  }
}

static void print_list(const char* name, const double* values, int n) {
  printf(",\"%s\":[", name);
  for (int i = 0; i < n; i++) {
    printf("%s%.3f", i ? "," : "", values[i]);
  }
  printf("]");
}

static void storm(void) {
  setup(members_wanted, 0);
  double start = now_ms();
  for (int i = 0; i < member_count; i++) {
    member_start(i);
  }
  double all_started = now_ms();
  run_until(all_connected, "storm connect");
  double connected = now_ms();
  run_until(all_full, "storm");
  double full = now_ms();
  printf("{\"type\":\"storm\",\"members\":%d,\"qos\":%d,\"convergence_ms\":%.3f,"
         "\"all_connected_ms\":%.3f,\"connect_calls_ms\":%.3f}\n",
         member_count, qos, full - start, connected - start, all_started - start);
}

/* M members; K times one more joins alone (its online seen by all), then leaves cleanly. */
static void lone(void) {
  setup(members_wanted, 1);
  for (int i = 0; i < member_count; i++) {
    member_start(i);
  }
  run_until(all_full, "lone: members");
  double* joins = calloc((size_t)probes, sizeof *joins);
  double* leaves = calloc((size_t)probes, sizeof *leaves);
  int probe = member_count;
  for (int p = 0; p < probes; p++) {
    /* From the probe's connect call, as for Rollcall's and Socket.IO's joiner, until every
     * member has its "online". Members wait for it; it waits for no one. */
    watched = probe;
    watched_online = true;
    watched_seen = 0;
    double t0 = now_ms();
    member_start(probe);
    member_count++;
    run_until(watched_by_all, "lone: join");
    joins[p] = watched_last_ms - t0;
    watched_online = false;
    watched_seen = 0;
    t0 = now_ms();
    member_leave(probe);
    run_until(watched_by_all, "lone: leave");
    leaves[p] = watched_last_ms - t0;
    watched = -1;
    member_close(probe);
    member_count--;
    members[probe].connected = false;
    free(members[probe].known);
    memset(&members[probe], 0, sizeof members[probe]);
  }
  printf("{\"type\":\"lone\",\"members\":%d,\"qos\":%d,\"probes\":%d", member_count, qos, probes);
  print_list("join_ms", joins, probes);
  print_list("leave_ms", leaves, probes);
  printf("}\n");
}

/* A victim: one member in its own process, until killed. */
static void victim_main(int index) {
  setup(members_wanted + victims, 0);
  member_count = 1;
  members[0].index = index;
  struct member* c = &members[0];
  c->known = calloc((size_t)(capacity_bits + 7) / 8, 1);
  char id[96], topic[128];
  snprintf(id, sizeof id, "%s-%d", room, index);
  c->m = mosquitto_new(id, true, c);
  topic_of(topic, sizeof topic, index);
  mosquitto_will_set(c->m, topic, 7, "offline", qos, true);
  mosquitto_connect_callback_set(c->m, on_connect);
  if (mosquitto_connect(c->m, host, port, keepalive) != MOSQ_ERR_SUCCESS) {
    _exit(1);
  }
  mosquitto_loop_forever(c->m, -1, 1);
  _exit(0);
}

static bool victims_online(void) {
  for (int i = 0; i < member_count; i++) {
    for (int index = members_wanted; index < members_wanted + victims; index++) {
      if (!(members[i].known[index >> 3] & (1u << (index & 7)))) {
        return false;
      }
    }
  }
  return true;
}

/* Observers in this process; victims in child processes, killed or stopped together. */
static void departure(void) {
  pid_t* pids = calloc((size_t)victims, sizeof *pids);
  for (int v = 0; v < victims; v++) {
    pids[v] = fork();
    if (pids[v] == 0) {
      victim_main(members_wanted + v);
    }
  }
  setup(members_wanted, victims);
  for (int i = 0; i < member_count; i++) {
    member_start(i);
  }
  run_until(victims_online, "departure: victims online");
  /* Per victim: when the last observer saw it offline. */
  double* last = calloc((size_t)victims, sizeof *last);
  int* seen = calloc((size_t)victims, sizeof *seen);
  int sig = strcmp(kind, "stop") == 0 ? SIGSTOP : SIGKILL;
  double t0 = now_ms();
  for (int v = 0; v < victims; v++) {
    kill(pids[v], sig);
  }
  double deadline = t0 + timeout_s * 1000.0;
  int done = 0;
  while (done < victims && now_ms() < deadline) {
    service(10);
    done = 0;
    for (int v = 0; v < victims; v++) {
      int index = members_wanted + v;
      int count = 0;
      for (int i = 0; i < member_count; i++) {
        count += !(members[i].known[index >> 3] & (1u << (index & 7)));
      }
      if (count == member_count && seen[v] < member_count) {
        last[v] = now_ms() - t0;
      }
      seen[v] = count;
      done += count == member_count;
    }
  }
  for (int v = 0; v < victims; v++) {
    kill(pids[v], SIGKILL);
    waitpid(pids[v], NULL, 0);
  }
  printf("{\"type\":\"departure\",\"kind\":\"%s\",\"observers\":%d,\"victims\":%d,\"keepalive_s\":%d,"
         "\"detected\":%d",
         kind, member_count, victims, keepalive, done);
  print_list("ms", last, victims);
  printf("}\n");
  if (done < victims) {
    exit(1);
  }
}

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* a = argv[i];
    const char* v = argv[i + 1];
    if (!strcmp(a, "--host")) host = v;
    else if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--mode")) mode = v;
    else if (!strcmp(a, "--members")) members_wanted = atoi(v);
    else if (!strcmp(a, "--probes")) probes = atoi(v);
    else if (!strcmp(a, "--victims")) victims = atoi(v);
    else if (!strcmp(a, "--kind")) kind = v;
    else if (!strcmp(a, "--keepalive")) keepalive = atoi(v);
    else if (!strcmp(a, "--qos")) qos = atoi(v);
    else if (!strcmp(a, "--timeout")) timeout_s = atoi(v);
    else {
      fprintf(stderr, "mqtt-load: unknown argument %s (see the header of native/tools/mqtt_load.c)\n", a);
      return 1;
    }
  }
  snprintf(room, sizeof room, "r%ld%d", (long)time(NULL), (int)getpid());
  signal(SIGPIPE, SIG_IGN);
  mosquitto_lib_init();
  if (!strcmp(mode, "storm")) {
    storm();
  } else if (!strcmp(mode, "lone")) {
    lone();
  } else if (!strcmp(mode, "departure")) {
    departure();
  } else {
    die("unknown --mode");
  }
  fflush(stdout);
  mosquitto_lib_cleanup();
  return 0;
}
