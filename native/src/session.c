/* The public session functions. They may run on any thread: they check the
 * handle and the state under otc_g.lock and post commands to the library
 * thread (engine.h), which owns everything else. */

#include "internal.h"

#include <stdlib.h>
#include <string.h>

static bool non_empty(const char* text) {
  return text && text[0] != '\0';
}

static void session_free_unregistered(struct session* s) {
  settings_free_fields(&s->settings);
  free(s->delete_command);
  free(s->api_key);
  free(s->session_id);
  free(s);
}

otc_session* otc_session_new(const char* apikey, const char* session_id,
                             const struct otc_session_callbacks* callbacks) {
  return otc_session_new_with_settings(apikey, session_id, callbacks, NULL);
}

otc_session* otc_session_new_with_settings(const char* apikey, const char* session_id,
                                           const struct otc_session_callbacks* callbacks,
                                           otc_session_settings* settings) {
  if (!non_empty(apikey) || !non_empty(session_id) || !callbacks) {
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_session_new: API key, session ID and callbacks are required");
    return NULL;
  }
  if (callbacks->reserved) {
    /* Kept for a future versioned extension of the struct. */
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_session_new: callbacks.reserved must be NULL");
    return NULL;
  }
  struct session* s = otc_calloc(1, sizeof *s);
  if (!s) {
    return NULL;
  }
  s->callbacks = *callbacks;
  s->api_key = otc_strdup(apikey);
  s->session_id = otc_strdup(session_id);
  s->delete_command = command_new(CMD_DELETE, s);
  bool settings_ok;
  if (settings) {
    settings_ok = settings_copy(&s->settings, settings);
  } else {
    settings_defaults(&s->settings);
    settings_ok = s->settings.server.host != NULL;
  }
  settings_ok = settings_ok && settings_apply_environment(&s->settings);
  roster_init(&s->roster);
  s->phase = PHASE_IDLE;
  s->socket = SOCKET_NONE;
  s->user_state = USER_IDLE;
  s->last_seq = -1;
  if (!s->api_key || !s->session_id || !s->delete_command || !settings_ok) {
    session_free_unregistered(s);
    return NULL;
  }
  pthread_mutex_lock(&otc_g.lock);
  bool initialized = otc_g.state == LIBRARY_UP;
  bool added = initialized && handle_add(s);
  otc_session* handle = s->handle;
  pthread_mutex_unlock(&otc_g.lock);
  if (!added) {
    if (!initialized) {
      otc_log(OTC_LOG_LEVEL_ERROR, "otc_session_new: call otc_init() first");
    }
    session_free_unregistered(s);
    return NULL;
  }
  return handle;
}

/* Posts a command of `type` if the session is live and in `required` state;
 * then moves it to `next` state. */
static otc_status post_if(otc_session* handle, enum command_type type,
                          enum user_state required, enum user_state next,
                          char* token, int count) {
  struct command* command = command_new(type, NULL);
  otc_status status = OTC_SUCCESS;
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(handle);
  /* While a connection cycle delivers its last callbacks, other threads wait
   * for them (as a delete waits for a running callback), so that a connect
   * that succeeds is never followed by the old cycle's on_disconnected. The
   * handle is checked again after each wait: the session may be deleted. */
  while (s && s->ending && !on_library_thread()) {
    pthread_cond_wait(&otc_g.callback_done, &otc_g.lock);
    s = handle_resolve(handle);
  }
  if (!s) {
    status = OTC_ERROR_INVALID_HANDLE;
  } else if (s->ending ? type != CMD_CONNECT : s->user_state != required) {
    /* A callback of the ending cycle may connect again, nothing else. */
    status = OTC_ERROR_INVALID_STATE;
  } else if (!command) {
    status = OTC_ERROR_NO_MEMORY;
  } else {
    command->session = s;
    command->token = token;
    command->count = count;
    token = NULL;
    s->user_state = next;
    s->ending = false;
    post_command_locked(command);
    command = NULL;
  }
  pthread_mutex_unlock(&otc_g.lock);
  free(command);
  free(token);
  return status;
}

static bool is_live(const otc_session* handle) {
  pthread_mutex_lock(&otc_g.lock);
  bool live = handle_resolve(handle) != NULL;
  pthread_mutex_unlock(&otc_g.lock);
  return live;
}

otc_status otc_session_connect(otc_session* session, const char* token) {
  if (!non_empty(token)) {
    return is_live(session) ? OTC_ERROR_INVALID_PARAM : OTC_ERROR_INVALID_HANDLE;
  }
  char* copy = otc_strdup(token);
  if (!copy) {
    return OTC_ERROR_NO_MEMORY;
  }
  return post_if(session, CMD_CONNECT, USER_IDLE, USER_ACTIVE, copy, 0);
}

otc_status otc_session_disconnect(otc_session* session) {
  return post_if(session, CMD_DISCONNECT, USER_ACTIVE, USER_DISCONNECTING, NULL, 0);
}

otc_status otc_private_test_command(otc_session* session, enum otc_private_command command,
                                    int count) {
  if (command == OTC_PRIVATE_DROP_SOCKET) {
    return post_if(session, CMD_DROP_SOCKET, USER_ACTIVE, USER_ACTIVE, NULL, 0);
  }
  if (count < 0) {
    return is_live(session) ? OTC_ERROR_INVALID_PARAM : OTC_ERROR_INVALID_HANDLE;
  }
  return post_if(session, CMD_INJECT, USER_IDLE, USER_IDLE, NULL, count);
}

otc_status otc_session_delete(otc_session* session) {
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(session);
  if (s) {
    session_delete_locked(s, true);
  }
  pthread_mutex_unlock(&otc_g.lock);
  return s ? OTC_SUCCESS : OTC_ERROR_INVALID_HANDLE;
}

/* Never waits: the handle dies here, and the library thread frees the
 * session (after its leave, if it leaves by resume) and then calls
 * on_deleted (life.c, free_session). */
otc_status otc_session_delete_async(otc_session* session,
                                    otc_session_deleted_callback on_deleted,
                                    void* user_data) {
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(session);
  if (s) {
    s->on_deleted = on_deleted;
    s->on_deleted_data = user_data;
    session_delete_locked(s, false);
  }
  pthread_mutex_unlock(&otc_g.lock);
  return s ? OTC_SUCCESS : OTC_ERROR_INVALID_HANDLE;
}

const char* otc_session_get_id(const otc_session* session) {
  /* Read under the lock: a delete may free the session right after. */
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(session);
  const char* id = s ? s->session_id : NULL;
  pthread_mutex_unlock(&otc_g.lock);
  return id;
}

const otc_connection* otc_session_get_connection(const otc_session* session) {
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(session);
  const otc_connection* self = s ? s->self : NULL;
  pthread_mutex_unlock(&otc_g.lock);
  return self;
}
