#ifndef OTC_ENGINE_H
#define OTC_ENGINE_H

/* The library thread's side of sessions, shared by its four files:
 * engine.c (sockets, timers, the session's life, libwebsockets callbacks),
 * callbacks.c (delivering callbacks and batches, the own connection),
 * messages.c (server messages and the roster) and commands.c (what the
 * public functions asked for). Everything here runs on the library thread.
 * Not installed. */

#include "internal.h"

#include <time.h>

typedef void (*session_callback)(otc_session*, void*);
typedef void (*connection_callback)(otc_session*, void*, const otc_connection*);

static inline lws_usec_t ms(int milliseconds) {
  return (lws_usec_t)milliseconds * LWS_US_PER_MS;
}

static inline int64_t wall_clock_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* --- engine.c -------------------------------------------------------------- */

/* Forgets the socket and closes it without a close frame (as a broken network). */
void abandon_socket(struct session* s);
/* Ends the connection cycle: on_error when `code`, then on_disconnected. */
void end_session(struct session* s, int64_t code, const char* message);
void open_socket(struct session* s);
void protocol_error(struct session* s, const char* message);
/* Frees the session (its CMD_DELETE); a connected socket closes gracefully. */
void run_delete(struct session* s);
void run_resolved(struct session* s, uint32_t attempt, const char* address);
void schedule_heartbeat(struct session* s);
void schedule_retry(struct session* s, bool at_once);
/* The socket is gone (already forgotten); decides what comes next. */
void socket_failed(struct session* s, int64_t code, const char* message);
void start_reconnection(struct session* s);

/* --- callbacks.c ----------------------------------------------------------- */

/* Returns whether later connection events are still wanted. */
bool emit_connection(struct session* s, connection_callback callback,
                     const otc_connection* connection);
/* The own connection, or an earlier one of this session. */
bool is_own(const struct session* s, const struct json_string* id);
bool set_self(struct session* s, const struct wire_connection* own);
bool wants_events(struct session* s);
/* Delivers on_batch_end if a batch is open. */
void batch_finish(struct session* s);
void emit(struct session* s, session_callback callback);
void emit_error(struct session* s, int64_t code, const char* message);
/* Needs otc_g.lock held. */
void retire_self_locked(struct session* s);

/* --- messages.c ------------------------------------------------------------ */

void handle_message(struct session* s, char* text, size_t length);

#endif /* OTC_ENGINE_H */
