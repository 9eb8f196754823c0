#ifndef OTC_ENGINE_H
#define OTC_ENGINE_H

/* The library thread's side of sessions, shared by its files:
 * life.c (the session's life: timers, heartbeat, reconnection, ending),
 * transport.c (libuv + wslay): the socket,
 * callbacks.c (delivering callbacks and batches, the own connection),
 * messages.c (server messages and the roster) and commands.c (what the
 * public functions asked for). Everything here runs on the library thread.
 * Not installed. */

#include "internal.h"

#include <time.h>

typedef void (*session_callback)(otc_session*, void*);
typedef void (*connection_callback)(otc_session*, void*, const otc_connection*);

static inline otc_usec ms(int milliseconds) {
  return (otc_usec)milliseconds * OTC_US_PER_MS;
}

static inline int64_t wall_clock_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* --- the transport: transport.c ------------------------------------------------ */

/* Forgets the socket and closes it without a close frame (as a broken network). */
void abandon_socket(struct session* s);
/* Starts a socket (name lookup, TCP, TLS, WebSocket); its outcome comes back
 * through socket_established, socket_failed or handle_message. */
void open_socket(struct session* s);
/* Hands the socket over to close gracefully on its own (a deleted session);
 * abandons it when it is not open. */
void release_socket(struct session* s);
/* Sends what the session marked due: `outgoing`, `ping_due`, `close_due`. */
void socket_flush(struct session* s);
/* Whether the server sent bytes that the loop has not read yet. */
bool socket_has_unread_bytes(const struct session* s);
/* The open socket sends an unsolicited pong while it reads or applies the
 * server's frames and has sent nothing for `period` (protocol.md). */
void socket_show_life_every(struct session* s, otc_usec period);

/* --- life.c ------------------------------------------------------------------ */

/* Ends the connection cycle: on_error when `code`, then on_disconnected. */
void end_session(struct session* s, int64_t code, const char* message);
void protocol_error(struct session* s, const char* message);
/* Deletes the session (its CMD_DELETE): frees it, a connected socket closing
 * gracefully on its own; one that is reconnecting leaves by resume first. */
void run_delete(struct session* s);
/* A disconnect or delete while reconnecting: resume, then close (bounded). */
bool may_leave_by_resume(const struct session* s);
void leave_by_resume(struct session* s);
/* end_session's last step: frees a deleted session whose leave ended. */
void leaving_ended(struct session* s);
void schedule_heartbeat(struct session* s);
void schedule_retry(struct session* s, bool at_once);
/* The socket is gone (already forgotten); decides what comes next. */
void socket_failed(struct session* s, int64_t code, const char* message);
void start_reconnection(struct session* s);
/* The WebSocket is open: sends connect or resume. */
void socket_established(struct session* s);

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
