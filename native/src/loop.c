/* The library thread: one libwebsockets context and event loop shared by all
 * sessions, the command queue that other threads post to, and the library
 * state machine (otc_init / otc_destroy). */

#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct otc_global otc_g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .callback_done = PTHREAD_COND_INITIALIZER,
    .state_changed = PTHREAD_COND_INITIALIZER,
    .state = LIBRARY_DOWN,
    .free_slot = UINT32_MAX,
};

/* How long otc_destroy() lets deleted sessions finish their close handshakes. */
#define STOP_GRACE_US (1000 * LWS_US_PER_MS)

static _Thread_local bool is_library_thread;

/* Loop-thread state. */
static bool stop_requested;
static lws_usec_t stop_deadline;
static lws_sorted_usec_list_t stop_wakeup;

bool on_library_thread(void) {
  return is_library_thread;
}

/* --- time and timers -------------------------------------------------------- */

otc_usec otc_now_us(void) {
  return (otc_usec)lws_now_usecs();
}

static void timer_fired(lws_sorted_usec_list_t* sul) {
  struct otc_timer* timer = OTC_CONTAINER_OF(sul, struct otc_timer, sul);
  timer->fn(timer);
}

void timer_schedule(struct otc_timer* timer, otc_timer_fn fn, otc_usec delay) {
  timer->fn = fn;
  lws_sul_schedule(otc_g.context, 0, &timer->sul, timer_fired, (lws_usec_t)delay);
}

void timer_cancel(struct otc_timer* timer) {
  lws_sul_cancel(&timer->sul);
}

/* --- commands ------------------------------------------------------------- */

struct command* command_new(enum command_type type, struct session* session) {
  struct command* command = otc_calloc(1, sizeof *command);
  if (command) {
    command->type = type;
    command->session = session;
  }
  return command;
}

/* Static, so that stopping cannot fail for want of memory. */
static struct command stop_command = {.type = CMD_STOP};

static void command_free(struct command* command) {
  if (command != &stop_command) {
    free(command->token);
    free(command);
  }
}

void post_command_locked(struct command* command) {
  if (otc_g.queue_tail) {
    otc_g.queue_tail->next = command;
  } else {
    otc_g.queue_head = command;
  }
  otc_g.queue_tail = command;
  lws_cancel_service(otc_g.context);
}

static struct command* take_commands(void) {
  pthread_mutex_lock(&otc_g.lock);
  struct command* commands = otc_g.queue_head;
  otc_g.queue_head = NULL;
  otc_g.queue_tail = NULL;
  pthread_mutex_unlock(&otc_g.lock);
  return commands;
}

static void stop_wakeup_fired(lws_sorted_usec_list_t* sul) {
  (void)sul; /* only makes lws_service() return */
}

static void run_commands(void) {
  struct command* command = take_commands();
  while (command) {
    struct command* next = command->next;
    if (command->type == CMD_STOP) {
      stop_requested = true;
      stop_deadline = lws_now_usecs() + STOP_GRACE_US;
      lws_sul_schedule(otc_g.context, 0, &stop_wakeup, stop_wakeup_fired,
                       STOP_GRACE_US);
    } else {
      session_run_command(command);
    }
    command_free(command);
    command = next;
  }
}

static int protocol_callback(struct lws* wsi, enum lws_callback_reasons reason,
                             void* user, void* in, size_t len) {
  (void)user;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    run_commands();
    return 0;
  }
  return session_lws_callback(wsi, reason, in, len);
}

static const struct lws_protocols protocols[] = {
    {.name = "rollcall", .callback = protocol_callback, .rx_buffer_size = 65536},
    {0},
};

static bool loop_should_stop(void) {
  return stop_requested &&
         (session_closing_orphans() == 0 || lws_now_usecs() >= stop_deadline);
}

static void* loop_main(void* unused) {
  (void)unused;
  is_library_thread = true;
  while (!loop_should_stop()) {
    lws_service(otc_g.context, 0);
  }
  lws_sul_cancel(&stop_wakeup);
  session_release_buffers();
  return NULL;
}

/* --- init / destroy ------------------------------------------------------- */

otc_status otc_init(void* reserved) {
  if (reserved) {
    return OTC_ERROR_INVALID_PARAM;
  }
  if (on_library_thread()) {
    return OTC_ERROR_INVALID_STATE;
  }
  pthread_mutex_lock(&otc_g.lock);
  while (otc_g.state == LIBRARY_STOPPING) {
    pthread_cond_wait(&otc_g.state_changed, &otc_g.lock); /* a destroy is under way */
  }
  if (otc_g.state == LIBRARY_UP) {
    pthread_mutex_unlock(&otc_g.lock);
    return OTC_ERROR_INVALID_STATE;
  }
  otc_log_route_lws();
  resolve_allow();
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.gid = -1;
  info.uid = -1;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  otc_g.context = lws_create_context(&info);
  if (!otc_g.context) {
    pthread_mutex_unlock(&otc_g.lock);
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_init: cannot create the event loop");
    return OTC_ERROR;
  }
  stop_requested = false;
  if (pthread_create(&otc_g.thread, NULL, loop_main, NULL) != 0) {
    lws_context_destroy(otc_g.context);
    otc_g.context = NULL;
    pthread_mutex_unlock(&otc_g.lock);
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_init: cannot start the library thread");
    return OTC_ERROR;
  }
  otc_g.state = LIBRARY_UP;
  pthread_mutex_unlock(&otc_g.lock);
  return OTC_SUCCESS;
}

/* As otc_session_delete() does it; needs otc_g.lock held. */
void session_delete_locked(struct session* session) {
  handle_remove(session);
  session->deleted = true;
  if (!on_library_thread()) {
    /* A callback of this session may be running: let it finish. */
    session->delete_waiting = true;
    while (session->in_callback) {
      pthread_cond_wait(&otc_g.callback_done, &otc_g.lock);
    }
  }
  post_command_locked(session->delete_command);
}

otc_status otc_destroy(void) {
  if (on_library_thread()) {
    return OTC_ERROR_INVALID_STATE;
  }
  pthread_mutex_lock(&otc_g.lock);
  if (otc_g.state != LIBRARY_UP) {
    while (otc_g.state == LIBRARY_STOPPING) {
      pthread_cond_wait(&otc_g.state_changed, &otc_g.lock); /* the other destroy ends */
    }
    pthread_mutex_unlock(&otc_g.lock);
    return OTC_ERROR_NOT_INITIALIZED;
  }
  otc_g.state = LIBRARY_STOPPING; /* no new session from here on */

  /* Delete what is left. Each delete is whole under the lock, so a delete
   * racing from another thread either wins (its session is gone from the
   * table) or finds the handle invalid; the loop goes on until none is left. */
  for (struct session* session; (session = handle_any()) != NULL;) {
    session_delete_locked(session);
  }
  pthread_mutex_unlock(&otc_g.lock);
  resolve_stop(); /* its answers find no session now */
  pthread_mutex_lock(&otc_g.lock);
  stop_command.next = NULL;
  post_command_locked(&stop_command);
  pthread_mutex_unlock(&otc_g.lock);

  pthread_join(otc_g.thread, NULL);
  for (struct command* left = take_commands(); left;) {
    struct command* next = left->next;
    command_free(left);
    left = next;
  }
  lws_context_destroy(otc_g.context);

  pthread_mutex_lock(&otc_g.lock);
  otc_g.context = NULL;
  handle_table_release();
  otc_g.state = LIBRARY_DOWN;
  pthread_cond_broadcast(&otc_g.state_changed);
  pthread_mutex_unlock(&otc_g.lock);
  return OTC_SUCCESS;
}
