/* Delivering callbacks: one at a time on the library thread, never to a
 * deleted session, connection events not after a disconnect; batch
 * boundaries around each group of connection events; the own connection. */

#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* --- callbacks ------------------------------------------------------------ */

/* Marks a callback in flight unless the session was deleted (or, for
 * connection events, is being disconnected). */
static bool callback_begin(struct session* s, bool connection_event) {
  pthread_mutex_lock(&otc_g.lock);
  bool wanted = !s->deleted &&
                !(connection_event && s->user_state == USER_DISCONNECTING);
  s->in_callback = wanted;
  pthread_mutex_unlock(&otc_g.lock);
  return wanted;
}

/* Returns whether connection events are still wanted after the callback
 * (it may have disconnected or deleted the session), under the same lock. */
static bool callback_end(struct session* s) {
  pthread_mutex_lock(&otc_g.lock);
  s->in_callback = false;
  if (s->delete_waiting) {
    pthread_cond_broadcast(&otc_g.callback_done);
  }
  bool wanted = !s->deleted && s->user_state != USER_DISCONNECTING;
  pthread_mutex_unlock(&otc_g.lock);
  return wanted;
}

/* Whether connection events should still be delivered. */
bool wants_events(struct session* s) {
  pthread_mutex_lock(&otc_g.lock);
  bool wanted = !s->deleted && s->user_state != USER_DISCONNECTING;
  pthread_mutex_unlock(&otc_g.lock);
  return wanted;
}


/* Batches (settings' on_batch_begin/_end): begin comes before the first
 * connection event of a frame (or roster, reconciliation, injection), end
 * after its last, before any other callback. */
void batch_finish(struct session* s) {
  if (!s->in_batch) {
    return;
  }
  s->in_batch = false;
  if (callback_begin(s, false)) {
    s->settings.on_batch_end(s->handle, s->callbacks.user_data);
    callback_end(s);
  }
}

static bool batch_start(struct session* s) {
  if (s->in_batch || !s->settings.on_batch_begin) {
    return true;
  }
  if (!callback_begin(s, true)) {
    return false;
  }
  s->in_batch = true;
  s->settings.on_batch_begin(s->handle, s->callbacks.user_data);
  callback_end(s);
  return true;
}

void emit(struct session* s, session_callback callback) {
  batch_finish(s);
  if (callback && callback_begin(s, false)) {
    callback(s->handle, s->callbacks.user_data);
    callback_end(s);
  }
}

/* Returns whether later connection events are still wanted. */
bool emit_connection(struct session* s, connection_callback callback,
                            const otc_connection* connection) {
  if (!callback) {
    return wants_events(s);
  }
  if (!batch_start(s) || !callback_begin(s, true)) {
    return false;
  }
  callback(s->handle, s->callbacks.user_data, connection);
  return callback_end(s);
}

void emit_error(struct session* s, int64_t code, const char* message) {
  otc_log(OTC_LOG_LEVEL_INFO, "session %s: error %lld: %s", s->session_id,
          (long long)code, message);
  batch_finish(s);
  if (s->callbacks.on_error && callback_begin(s, false)) {
    s->callbacks.on_error(s->handle, s->callbacks.user_data, message,
                          (enum otc_session_error_code)code);
    callback_end(s);
  }
}

/* --- own connection ------------------------------------------------------- */

void retire_self_locked(struct session* s) {
  if (s->self) {
    s->self->next = s->retired;
    s->retired = s->self;
    s->self = NULL;
  }
}

static bool same_id(const otc_connection* c, const struct json_string* id) {
  return c->id_length == id->length && memcmp(connection_id(c), id->text, id->length) == 0;
}

static bool is_self(const struct session* s, const struct json_string* id) {
  return s->self && same_id(s->self, id);
}

/* The own connection or an earlier one of this session (after a rejoin as a
 * new connection, the server may still list the old one until its grace
 * ends): never announced as another client. Only the library thread writes
 * `retired`, so it reads it without the lock. */
bool is_own(const struct session* s, const struct json_string* id) {
  if (is_self(s, id)) {
    return true;
  }
  for (const otc_connection* old = s->retired; old; old = old->next) {
    if (same_id(old, id)) {
      return true;
    }
  }
  return false;
}

bool set_self(struct session* s, const struct wire_connection* own) {
  if (is_self(s, &own->id)) {
    return true;
  }
  otc_connection* connection =
      connection_new(own->id.text, own->id.length, own->data.text, own->data.length,
                     own->creation_time, s->session_id);
  if (!connection) {
    return false;
  }
  pthread_mutex_lock(&otc_g.lock);
  retire_self_locked(s);
  s->self = connection;
  pthread_mutex_unlock(&otc_g.lock);
  return true;
}
