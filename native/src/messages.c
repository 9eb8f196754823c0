/* Server messages (protocol.md) applied to a session: `connected` with its
 * roster (adopted, reconciled or replayed), `events` in seq order, errors and
 * `disconnected`. */

#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A server's announced heartbeat timeout is taken up to this (a larger one
 * is taken as this): a server cannot make a client wait forever. */
#define MAX_SERVER_TIMEOUT_MS 60000

/* --- roster --------------------------------------------------------------- */

/* Out of memory while applying a frame: the frame is not applied (last_seq
 * stays), and the session treats it as a lost socket, so a resume brings the
 * missed part back (replayed, or reconciled from a roster). */
static void out_of_memory(struct session* s) {
  otc_log(OTC_LOG_LEVEL_ERROR, "session %s: out of memory", s->session_id);
  abandon_socket(s);
  socket_failed(s, OTC_SESSION_INTERNAL_ERROR, "out of memory");
}

enum adopt_result { ADOPT_OK, ADOPT_MALFORMED, ADOPT_NO_MEMORY };

/*
 * Builds the server's roster `list` into `result`, moving connections that
 * `known` has (no event for them) and creating the others, which are also
 * linked, in the server's order, through `*added` (their `next` is the roster
 * chain, so the order is kept in a separate array). Skips the own connection
 * and duplicates.
 */
static enum adopt_result adopt_roster(struct session* s, struct json list,
                                      const struct json_string* own_id,
                                      struct roster* known, struct roster* result,
                                      otc_connection*** added, size_t* added_count) {
  size_t capacity = 0;
  *added = NULL;
  *added_count = 0;
  struct json_iter it = {.object = false};
  int more;
  while ((more = json_container_next(&list, &it, NULL)) == 1) {
    struct wire_connection entry;
    if (!wire_connection_parse(&list, &entry)) {
      return ADOPT_MALFORMED;
    }
    bool own = (entry.id.length == own_id->length &&
                memcmp(entry.id.text, own_id->text, own_id->length) == 0) ||
               is_own(s, &entry.id);
    size_t hash = roster_hash(entry.id.text, entry.id.length);
    if (own || roster_find_hashed(result, entry.id.text, entry.id.length, hash)) {
      continue;
    }
    otc_connection* connection =
        roster_remove_hashed(known, entry.id.text, entry.id.length, hash);
    bool is_new = connection == NULL;
    if (is_new) {
      if (*added_count == capacity) {
        size_t grown_capacity = capacity ? capacity * 2 : 16;
        otc_connection** grown = otc_realloc(*added, grown_capacity * sizeof **added);
        if (!grown) {
          return ADOPT_NO_MEMORY;
        }
        *added = grown;
        capacity = grown_capacity;
      }
      connection = connection_new_hashed(entry.id.text, entry.id.length, entry.data.text,
                                         entry.data.length, entry.creation_time,
                                         s->session_id, hash);
    }
    if (!connection || !roster_add(result, connection)) {
      if (connection && !is_new) {
        roster_add(known, connection); /* back where it was; known never grows here */
      } else {
        connection_free(connection);
      }
      return ADOPT_NO_MEMORY;
    }
    if (is_new) {
      (*added)[(*added_count)++] = connection;
    }
  }
  return more == 0 ? ADOPT_OK : ADOPT_MALFORMED;
}

static void emit_created_list(struct session* s, otc_connection** added, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (!emit_connection(s, s->callbacks.on_connection_created, added[i])) {
      return;
    }
  }
}

/* Reports (and frees) the connections that left while the client was away. */
static void emit_dropped_list(struct session* s, otc_connection* gone) {
  bool wanted = true;
  while (gone) {
    otc_connection* next = gone->next;
    gone->drop_reason = OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED;
    gone->event_seq = -1;
    if (wanted) {
      wanted = emit_connection(s, s->callbacks.on_connection_dropped, gone);
    }
    connection_free(gone);
    gone = next;
  }
}

/* --- server messages ------------------------------------------------------ */

/* Puts a connection back into `known` when a new roster cannot be adopted. */
static void restore_roster(struct roster* known, struct roster* partial) {
  otc_connection* c = roster_take_all(partial);
  while (c) {
    otc_connection* next = c->next;
    roster_add(known, c); /* cannot fail: known had room for each before */
    c = next;
  }
}

static void handle_connected(struct session* s, struct wire_message* m) {
  if (s->phase != PHASE_CONNECTING && s->phase != PHASE_RECONNECTING) {
    protocol_error(s, "unexpected 'connected' message");
    return;
  }
  struct wire_connection own;
  bool v2 = m->has_protocol && m->protocol >= 2;
  bool replay = v2 && m->resumed && m->replay && s->resuming && m->has_epoch &&
                m->epoch == s->epoch;
  if (!m->has_connection || !wire_connection_parse(&m->connection, &own) || !m->has_seq ||
      !m->has_resume_token || (!replay && !m->has_connections)) {
    protocol_error(s, "malformed 'connected' message");
    return;
  }
  struct roster result;
  roster_init(&result);
  otc_connection** added = NULL;
  size_t added_count = 0;
  char* token_copy = otc_malloc(m->resume_token.length + 1);
  enum adopt_result adopted = token_copy ? ADOPT_OK : ADOPT_NO_MEMORY;
  if (adopted == ADOPT_OK && !replay) {
    adopted = adopt_roster(s, m->connections, &own.id, &s->roster, &result, &added,
                           &added_count);
  }
  if (adopted == ADOPT_OK && !set_self(s, &own)) {
    adopted = ADOPT_NO_MEMORY;
  }
  if (adopted != ADOPT_OK) {
    for (size_t i = 0; i < added_count; i++) {
      connection_free(roster_remove(&result, connection_id(added[i]), added[i]->id_length));
    }
    restore_roster(&s->roster, &result);
    free(added);
    free(token_copy);
    if (adopted == ADOPT_MALFORMED) {
      protocol_error(s, "malformed roster in 'connected' message");
    } else {
      out_of_memory(s);
    }
    return;
  }
  memcpy(token_copy, m->resume_token.text, m->resume_token.length);
  token_copy[m->resume_token.length] = '\0';
  free(s->resume_token);
  s->resume_token = token_copy;
  s->last_seq = m->seq;
  s->epoch = m->has_epoch ? m->epoch : 0;
  s->protocol = v2 ? 2 : 1;
  /* A v2 server promises a frame every intervalMs and tells its timeoutMs:
   * a server that pings seldom (to spare idle clients) is not taken for
   * lost before that (protocol.md "Heartbeats"). */
  s->silence_timeout_ms = s->settings.heartbeat_timeout_ms;
  if (v2 && m->heartbeat_timeout_ms > s->silence_timeout_ms) {
    s->silence_timeout_ms = m->heartbeat_timeout_ms < MAX_SERVER_TIMEOUT_MS
                                ? (int)m->heartbeat_timeout_ms
                                : MAX_SERVER_TIMEOUT_MS;
  }
  /* While it reads a backlog, the client shows the server it is alive before
   * the server's timeout, though its ping waits behind the backlog. */
  if (v2 && m->heartbeat_interval_ms > 0) {
    socket_show_life_every(s, ms((int)(m->heartbeat_interval_ms < MAX_SERVER_TIMEOUT_MS
                                                 ? m->heartbeat_interval_ms
                                                 : MAX_SERVER_TIMEOUT_MS) / 2));
  }
  s->resume_rejected = false;
  otc_connection* gone = NULL;
  if (!replay) {
    gone = roster_take_all(&s->roster);
    s->roster = result;
  }

  bool reconnecting = s->phase == PHASE_RECONNECTING;
  s->phase = PHASE_CONNECTED;
  s->announced = true;
  s->attempt = 0;
  s->next_ping = otc_now_us() + ms(s->settings.heartbeat_interval_ms);
  schedule_heartbeat(s);
  timer_cancel(&s->retry_timer);
  timer_cancel(&s->give_up_timer);

  if (reconnecting) {
    otc_log(OTC_LOG_LEVEL_INFO, "session %s: reconnected (%s)", s->session_id,
            replay ? "resumed, replaying" : m->resumed ? "resumed" : "as a new connection");
    emit_dropped_list(s, gone);
    emit_created_list(s, added, added_count);
    emit(s, s->callbacks.on_reconnected);
  } else {
    emit_dropped_list(s, gone); /* empty */
    emit(s, s->callbacks.on_connected);
    emit_created_list(s, added, added_count);
  }
  free(added);
}

/* False when out of memory (the event is then not applied). `*wanted` turns
 * false when the application wants no more events (deleted, disconnecting). */
static bool connection_created(struct session* s, const struct wire_event* e, bool* wanted) {
  const struct wire_connection* entry = &e->connection;
  size_t hash = roster_hash(entry->id.text, entry->id.length);
  if (is_own(s, &entry->id) ||
      roster_find_hashed(&s->roster, entry->id.text, entry->id.length, hash)) {
    s->last_seq = e->seq;
    return true; /* never about ourselves, never a duplicate */
  }
  otc_connection* connection =
      connection_new_hashed(entry->id.text, entry->id.length, entry->data.text,
                            entry->data.length, entry->creation_time, s->session_id, hash);
  if (!connection || !roster_add(&s->roster, connection)) {
    connection_free(connection);
    return false;
  }
  s->last_seq = e->seq;
  connection->event_seq = e->seq;
  connection->event_epoch = s->epoch;
  *wanted = emit_connection(s, s->callbacks.on_connection_created, connection);
  connection->event_seq = -1;
  connection->event_epoch = 0;
  return true;
}

/* Returns whether later events are still wanted. */
static bool connection_destroyed(struct session* s, const struct wire_event* e) {
  s->last_seq = e->seq;
  otc_connection* connection =
      roster_remove(&s->roster, e->connection.id.text, e->connection.id.length);
  if (!connection) {
    return true; /* never a ghost */
  }
  connection->drop_reason = drop_reason_parse(e->reason.text, e->reason.length);
  connection->event_seq = e->seq;
  connection->event_epoch = s->epoch;
  bool wanted = emit_connection(s, s->callbacks.on_connection_dropped, connection);
  connection_free(connection);
  return wanted;
}

static void handle_events(struct session* s, struct wire_message* m) {
  if (s->phase != PHASE_CONNECTED) {
    otc_log(OTC_LOG_LEVEL_DEBUG, "session %s: events before 'connected' ignored",
            s->session_id);
    return;
  }
  if (!m->events_parsed) {
    protocol_error(s, "malformed 'events' message");
    return;
  }
  for (size_t i = 0; i < m->parsed_count; i++) {
    const struct wire_event* e = &m->parsed_events[i];
    if (e->seq <= s->last_seq) {
      continue;
    }
    /* Each delivery says whether more are wanted (one lock per event less
     * than asking again). */
    bool wanted = true;
    if (JSON_IS(&e->type, "connectionCreated")) {
      if (!connection_created(s, e, &wanted)) {
        out_of_memory(s);
        return;
      }
    } else if (JSON_IS(&e->type, "connectionDestroyed")) {
      wanted = connection_destroyed(s, e);
    } else {
      s->last_seq = e->seq; /* an event kind this client does not know */
    }
    if (!wanted) {
      return;
    }
  }
}

/* A first connection keeps retrying refusals (1023) until give_up_after_ms. */
static bool connect_may_retry(const struct session* s) {
  int limit = s->settings.give_up_after_ms;
  return limit == 0 || otc_now_us() - s->connect_started < ms(limit);
}

static bool is_authorization_error(int64_t code) {
  return code == OTC_SESSION_AUTHORIZATION_FAILURE || code == OTC_SESSION_INVALID_SESSION;
}

static void handle_error(struct session* s, struct wire_message* m) {
  if (!m->has_code || m->code == 0) {
    protocol_error(s, "malformed 'error' message");
    return;
  }
  int64_t code = m->code;
  char description[512];
  if (m->has_message) {
    snprintf(description, sizeof description, "%.*s", (int)m->message.length, m->message.text);
  } else {
    snprintf(description, sizeof description, "error from the server");
  }
  bool resuming = s->phase == PHASE_RECONNECTING && s->resuming;
  abandon_socket(s); /* the server closes it anyway */
  if (m->has_retry_after && m->retry_after_ms > 0) {
    s->retry_after_ms = m->retry_after_ms < 60000 ? (int)m->retry_after_ms : 60000;
  }

  if (resuming && code == OTC_SESSION_CONNECTION_FAILED) {
    /* Only 1006 means the server forgot this connection: join again as a new one. */
    otc_log(OTC_LOG_LEVEL_INFO, "session %s: resume refused, connecting anew",
            s->session_id);
    s->resume_rejected = true;
    schedule_retry(s, true);
  } else if (resuming) {
    /* Any other error during a resume (1023 in a reconnect storm, say):
     * resume again later. */
    emit_error(s, code, description);
    schedule_retry(s, false);
  } else if (s->phase == PHASE_CONNECTING && code == OTC_SESSION_CONNECTION_REFUSED &&
             connect_may_retry(s)) {
    /* An overloaded or rate-limiting server refuses new connections for a
     * while (protocol.md "Load and admission"): try again after its
     * retryAfterMs plus jitter, until the give-up time. */
    otc_log(OTC_LOG_LEVEL_INFO, "session %s: connection refused (%s), retrying",
            s->session_id, description);
    schedule_retry(s, false);
  } else if (s->phase == PHASE_CONNECTING || is_authorization_error(code)) {
    end_session(s, code, description);
  } else if (s->phase == PHASE_RECONNECTING) {
    emit_error(s, code, description);
    schedule_retry(s, false);
  } else {
    emit_error(s, code, description);
    start_reconnection(s);
  }
}

/* Final in both versions: the connection was removed; no resume, no rejoin. */
static void handle_disconnected(struct session* s, struct wire_message* m) {
  enum otc_connection_drop_reason reason =
      m->has_reason ? drop_reason_parse(m->reason.text, m->reason.length)
                    : OTC_CONNECTION_DROP_REASON_NONE;
  if (reason == OTC_CONNECTION_DROP_REASON_NONE) {
    reason = OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED;
  }
  pthread_mutex_lock(&otc_g.lock);
  if (s->self) {
    __atomic_store_n(&s->self->drop_reason, reason, __ATOMIC_RELAXED); /* read by any thread */
  }
  pthread_mutex_unlock(&otc_g.lock);
  if (s->announced) {
    end_session(s, 0, NULL);
  } else {
    end_session(s, OTC_SESSION_CONNECTION_FAILED, "disconnected by the server");
  }
}

void handle_message(struct session* s, char* text, size_t length) {
  if (s->phase == PHASE_CLOSING && s->leave_by_resume) {
    /* The answer to a leaving resume (connected, or an error): now the close
     * frame, which the server takes for a clean leave. */
    s->leave_by_resume = false;
    s->close_due = true;
    socket_flush(s);
    return;
  }
  if (s->phase == PHASE_CLOSING || s->phase == PHASE_IDLE) {
    return;
  }
  struct wire_message m;
  if (!wire_decode(text, length, &m)) {
    if (m.out_of_memory) {
      out_of_memory(s); /* not the server's fault: a resume fetches the frame again */
    } else {
      protocol_error(s, "malformed message from the server");
    }
  } else if (JSON_IS(&m.type, "connected")) {
    handle_connected(s, &m);
  } else if (JSON_IS(&m.type, "events")) {
    handle_events(s, &m);
  } else if (JSON_IS(&m.type, "error")) {
    handle_error(s, &m);
  } else if (JSON_IS(&m.type, "disconnected")) {
    handle_disconnected(s, &m);
  } /* other types (e.g. "pong", "ping") are ignored, as protocol.md asks */
  wire_message_free(&m);
  batch_finish(s);
}
