/* What the public functions asked for (commands from loop.c), run on the
 * library thread: connect, disconnect, injection, dropping the socket. */

#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- commands from the public functions ----------------------------------- */

static void run_connect(struct session* s, char* token) {
  if (s->phase != PHASE_IDLE) {
    free(token);
    return;
  }
  free(s->token);
  s->token = token;
  free(s->resume_token);
  s->resume_token = NULL;
  s->last_seq = -1;
  roster_clear(&s->roster);
  s->announced = false;
  s->resume_rejected = false;
  s->phase = PHASE_CONNECTING;
  s->attempt = 1; /* a refused first connect backs off from initial_backoff_ms */
  s->connect_started = otc_now_us();
  open_socket(s);
}

static void run_disconnect(struct session* s) {
  if (s->phase == PHASE_IDLE || s->phase == PHASE_CLOSING) {
    return;
  }
  if (may_leave_by_resume(s)) {
    leave_by_resume(s);
    return;
  }
  if (s->socket != SOCKET_OPEN) {
    end_session(s, 0, NULL);
    return;
  }
  s->phase = PHASE_CLOSING;
  s->close_due = true;
  s->close_started = otc_now_us();
  timer_cancel(&s->retry_timer);
  timer_cancel(&s->give_up_timer);
  schedule_heartbeat(s);
  socket_flush(s);
}

static void run_inject(struct session* s, int count) {
  int64_t now = wall_clock_ms();
  for (int i = 0; i < count; i++) {
    char id[32];
    snprintf(id, sizeof id, "inject-%d", i);
    otc_connection* connection = connection_new(id, strlen(id), "", 0, now, s->session_id);
    if (!connection) {
      otc_log(OTC_LOG_LEVEL_ERROR, "inject: out of memory");
      return;
    }
    bool wanted = emit_connection(s, s->callbacks.on_connection_created, connection);
    connection->drop_reason = OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED;
    if (wanted) {
      wanted = emit_connection(s, s->callbacks.on_connection_dropped, connection);
    }
    connection_free(connection);
    if (!wanted) {
      return;
    }
  }
}

static void run_drop_socket(struct session* s) {
  if (s->socket != SOCKET_NONE && s->phase != PHASE_CLOSING) {
    abandon_socket(s);
    socket_failed(s, OTC_SESSION_CONNECTION_FAILED, "socket dropped for a test");
  }
}

static bool is_deleted(struct session* s) {
  pthread_mutex_lock(&otc_g.lock);
  bool deleted = s->deleted;
  pthread_mutex_unlock(&otc_g.lock);
  return deleted;
}

void session_run_command(struct command* command) {
  struct session* s = command->session;
  if (command->type != CMD_DELETE && is_deleted(s)) {
    return; /* its CMD_DELETE follows */
  }
  switch (command->type) {
    case CMD_CONNECT:
      run_connect(s, command->token);
      command->token = NULL;
      break;
    case CMD_DISCONNECT:
      run_disconnect(s);
      break;
    case CMD_DELETE:
      run_delete(s);
      break;
    case CMD_INJECT:
      run_inject(s, command->count);
      batch_finish(s);
      break;
    case CMD_DROP_SOCKET:
      run_drop_socket(s);
      break;
    case CMD_STOP:
      break;
  }
}
