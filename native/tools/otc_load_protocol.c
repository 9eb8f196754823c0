/* otc-load's command protocol: commands on stdin, JSON lines on stdout
 * (docs/harness.md lists both). See otc_load.h. */

#include "otc_load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void add_i64(cJSON* o, const char* name, int64_t v) {
  char text[32];
  snprintf(text, sizeof text, "%" PRId64, v);
  cJSON_AddRawToObject(o, name, text);
}

static void add_hash(cJSON* o, const char* name, uint64_t v) {
  char text[24];
  snprintf(text, sizeof text, "%016" PRIx64, v);
  cJSON_AddStringToObject(o, name, text);
}

cJSON* line_new(const char* type) {
  cJSON* o = cJSON_CreateObject();
  if (!o) {
    die("out of memory");
  }
  cJSON_AddStringToObject(o, "type", type);
  add_i64(o, "t_ns", now_ns());
  return o;
}

/* Prints and frees one line. Callers hold `lock`, which orders the lines. */
void emit(cJSON* o) {
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


void emit_progress(void) {
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

void dump_rosters(bool with_ids) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < client_count; i++) {
    emit_roster(clients[i], with_ids);
  }
  cJSON* o = line_new("roster_end");
  cJSON_AddNumberToObject(o, "clients", client_count);
  emit(o);
  pthread_mutex_unlock(&lock);
}

/* One `seqlog` line: every event of the session seen here, by (epoch, seq),
 * as the first client to see each saw it (the others were checked against
 * it): [seq, kind, conn, data, reason, epoch]. The harness compares these
 * logs across processes: one order for all. `restarted`: a v1 server
 * restarted and its seqs started over, so they no longer line up. */
static void dump_seqlog(const char* session_id) {
  pthread_mutex_lock(&lock);
  struct group* g = group_find(session_id, false);
  cJSON* o = line_new("seqlog");
  cJSON_AddStringToObject(o, "session", session_id);
  cJSON_AddBoolToObject(o, "restarted", g && g->seq_check_off);
  cJSON* events = cJSON_AddArrayToObject(o, "events");
  for (int i = 0; g && i < g->epoch_count; i++) {
    const struct epoch_log* log = &g->epochs[i];
    for (int64_t seq = 0; seq < log->capacity; seq++) {
      int32_t event = log->events[seq] - 1;
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
      cJSON_AddItemToArray(e, cJSON_CreateNumber((double)log->epoch));
      cJSON_AddItemToArray(events, e);
    }
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


bool quit_requested;

static int word_split(char* line, char** words, int max) {
  int n = 0;
  for (char* save = NULL, *w = strtok_r(line, " \t\r", &save); w && n < max;
       w = strtok_r(NULL, " \t\r", &save)) {
    words[n++] = w;
  }
  return n;
}

void bad_command(const char* text) {
  pthread_mutex_lock(&lock);
  cJSON* o = line_new("bad_command");
  cJSON_AddStringToObject(o, "text", text);
  emit(o);
  pthread_mutex_unlock(&lock);
}


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
bool read_commands(void) {
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

void load_tokens_file(const char* path) {
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
