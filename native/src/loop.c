/* The library thread on libuv: one uv_loop shared by all sessions, the
 * command queue that other threads post to (woken by a uv_async), and the
 * library state machine (otc_init / otc_destroy). */

#include "internal.h"

#include "inbox.h"
#include "wsconn.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct otc_global otc_g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .callback_done = PTHREAD_COND_INITIALIZER,
    .state_changed = PTHREAD_COND_INITIALIZER,
    .state = LIBRARY_DOWN,
    .free_slot = UINT32_MAX,
};

/* How long otc_destroy() lets deleted sessions finish their close handshakes. */
#define STOP_GRACE_US (1000 * OTC_US_PER_MS)

static _Thread_local bool is_library_thread;

/* Loop-thread state. */
static bool stop_requested;
static otc_usec stop_deadline;
static uv_async_t wakeup;     /* commands are queued */
static uv_timer_t stop_check; /* while stopping: are the orphans done? */

bool on_library_thread(void) {
  return is_library_thread;
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
  uv_async_send(&wakeup);
}

static struct command* take_commands(void) {
  pthread_mutex_lock(&otc_g.lock);
  struct command* commands = otc_g.queue_head;
  otc_g.queue_head = NULL;
  otc_g.queue_tail = NULL;
  pthread_mutex_unlock(&otc_g.lock);
  return commands;
}

static bool loop_should_stop(void) {
  return stop_requested && ((wsconn_orphans() == 0 && sessions_leaving() == 0) ||
                            otc_now_us() >= stop_deadline);
}

static void check_stop(uv_timer_t* timer) {
  if (loop_should_stop()) {
    uv_stop(timer->loop);
  }
}

static void run_commands(uv_async_t* async) {
  struct command* command = take_commands();
  while (command) {
    struct command* next = command->next;
    if (command->type == CMD_STOP) {
      stop_requested = true;
      stop_deadline = otc_now_us() + STOP_GRACE_US;
      uv_timer_start(&stop_check, check_stop, 0, 10);
    } else {
      session_run_command(command);
    }
    command_free(command);
    command = next;
  }
  (void)async;
}

static void close_handle(uv_handle_t* handle, void* unused) {
  (void)unused;
  if (!uv_is_closing(handle)) {
    uv_close(handle, NULL);
  }
}

static void* loop_main(void* unused) {
  (void)unused;
  is_library_thread = true;
  uv_run(otc_g.loop, UV_RUN_DEFAULT);
  /* Stopped: orphans and leaving sessions past their grace are dropped,
   * every handle closed; a name lookup in progress is waited for (libuv
   * cannot cancel it). */
  wsconn_abort_orphans();
  abort_leaving_sessions();
  wheel_stop();
  uv_walk(otc_g.loop, close_handle, NULL);
  uv_run(otc_g.loop, UV_RUN_DEFAULT);
  return NULL;
}

/* --- init / destroy ------------------------------------------------------- */

/* The library thread (and libuv's pool threads, which it starts) runs with
 * SIGPIPE blocked: a write to a socket that the server reset then fails with
 * EPIPE instead of killing an application that does not ignore SIGPIPE, and
 * the application's own signal disposition is left alone. */
static bool start_library_thread(void) {
  sigset_t pipe_only, previous;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  bool started = pthread_create(&otc_g.thread, NULL, loop_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  return started;
}

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
  static uv_loop_t loop;
  if (uv_loop_init(&loop) != 0 || !wsconn_global_init()) {
    wsconn_global_free();
    pthread_mutex_unlock(&otc_g.lock);
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_init: cannot create the event loop");
    return OTC_ERROR;
  }
  otc_g.loop = &loop;
  uv_async_init(&loop, &wakeup, run_commands);
  uv_timer_init(&loop, &stop_check);
  wheel_start();
  inbox_start();
  stop_requested = false;
  if (!start_library_thread()) {
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    wsconn_global_free();
    otc_g.loop = NULL;
    pthread_mutex_unlock(&otc_g.lock);
    otc_log(OTC_LOG_LEVEL_ERROR, "otc_init: cannot start the library thread");
    return OTC_ERROR;
  }
  otc_g.state = LIBRARY_UP;
  pthread_mutex_unlock(&otc_g.lock);
  return OTC_SUCCESS;
}

/* As otc_session_delete() and otc_session_delete_async() do it; needs
 * otc_g.lock held. Once `deleted` is set no callback of the session begins,
 * and its CMD_DELETE runs on the library thread, so after any callback that
 * is running now: the async delete need not wait for it. */
void session_delete_locked(struct session* session, bool wait_for_callback) {
  handle_remove(session);
  session->deleted = true;
  if (wait_for_callback && !on_library_thread()) {
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
    session_delete_locked(session, true);
  }
  stop_command.next = NULL;
  post_command_locked(&stop_command);
  pthread_mutex_unlock(&otc_g.lock);

  pthread_join(otc_g.thread, NULL);
  for (struct command* left = take_commands(); left;) {
    struct command* next = left->next;
    command_free(left);
    left = next;
  }
  uv_loop_close(otc_g.loop);
  wsconn_global_free();

  pthread_mutex_lock(&otc_g.lock);
  otc_g.loop = NULL;
  handle_table_release();
  otc_g.state = LIBRARY_DOWN;
  pthread_cond_broadcast(&otc_g.state_changed);
  pthread_mutex_unlock(&otc_g.lock);
  return OTC_SUCCESS;
}
