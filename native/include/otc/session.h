#ifndef OTC_SESSION_H
#define OTC_SESSION_H

/*
 * Sessions: connect to a Rollcall session and receive its connection events
 * (OpenTok's otc_session API, connection events only).
 *
 * Threading
 *  - All sessions of a process share one event loop on one library thread
 *    (started by otc_init()). Every function here may be called from any
 *    thread; the ones that act (connect, disconnect, delete) post a command
 *    to the library thread and return at once.
 *  - Callbacks run only on the library thread, one at a time, never on the
 *    caller's thread. Keep them short: a blocked callback stalls every
 *    session of the process.
 *  - A callback may call otc_session_disconnect() or otc_session_delete() on
 *    its own session (or any other). Deleting from a callback takes effect
 *    when the callback returns; no further callback of that session runs.
 *  - otc_session_delete() from another thread while a callback of that session
 *    runs waits for that callback to return. After otc_session_delete()
 *    returns, no callback of that session runs. So it deadlocks when that
 *    callback waits for something the deleting thread holds (a lock, a
 *    join): delete from such a thread with otc_session_delete_async(),
 *    which never waits and reports the end with a completion callback.
 *  - Data passed to a callback (strings, connections) lives only during the
 *    call; use otc_connection_copy() to keep a connection.
 *
 * Events
 *  - on_connected, then on_connection_created once for every other client
 *    already in the session, then once for each client that joins;
 *    on_connection_dropped when one leaves (see otc_connection_get_drop_reason).
 *    Never for the session's own connection.
 *  - When the socket is lost: on_reconnection_started, then automatic
 *    reconnection with backoff and jitter. On success the library reconciles
 *    its roster with the server's: on_connection_created for new connections,
 *    on_connection_dropped (networkDisconnected) for those that left meanwhile,
 *    nothing for unchanged ones; then on_reconnected. So there is never a ghost
 *    or a duplicate. After the configured give-up time: on_error
 *    (OTC_SESSION_CONNECTION_FAILED) then on_disconnected.
 *  - on_disconnected ends a session that was connected, or that the
 *    application disconnected. A first connection attempt that fails ends
 *    with on_error alone (the session can then be connected again), except
 *    a refusal by a busy server (1023), which is retried after the server's
 *    retryAfterMs plus jitter until the give-up time.
 *  - Protocol v2 (docs/protocol.md) is asked for and used when the server
 *    speaks it, else v1: with v2 the client sends no pings (it answers the
 *    server's), and a resume replays the missed events with their true
 *    reasons. A `disconnected` answer (forceDisconnected) is final. During
 *    a resume only error 1006 means "join again as a new connection"; any
 *    other error is reported with on_error and the resume is retried later.
 *  - on_error with an authorization error (1004, 1005) or a malformed server
 *    frame (OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE) is final: no
 *    retry; on_disconnected follows if the session had connected. Other server
 *    errors reported while connected are followed by reconnection.
 *  - Stream, signal and archive callbacks exist for source compatibility with
 *    OpenTok and are never called: Rollcall has presence only.
 */

#include <otc/base.h>
#include <otc/connection.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct otc_session otc_session;
typedef struct otc_session_settings otc_session_settings;

/* OpenTok's stream type. Rollcall has no streams: no function returns one. */
typedef struct otc_stream otc_stream;

enum otc_stream_video_type {
  OTC_STREAM_VIDEO_TYPE_CAMERA = 1,
  OTC_STREAM_VIDEO_TYPE_SCREEN = 2,
  OTC_STREAM_VIDEO_TYPE_CUSTOM = 3
};

/* OpenTok's session error numbers, plus Rollcall's own (protocol.md "Errors").
 * A code that a server sends is passed through as is. */
enum otc_session_error_code {
  OTC_SESSION_AUTHORIZATION_FAILURE = 1004,
  OTC_SESSION_INVALID_SESSION = 1005,
  OTC_SESSION_CONNECTION_FAILED = 1006,
  OTC_SESSION_NOT_CONNECTED = 1010,
  OTC_SESSION_NULL_OR_INVALID_PARAMETER = 1011,
  OTC_SESSION_ILLEGAL_STATE = 1015,
  OTC_SESSION_CONNECTION_TIMED_OUT = 1021,
  OTC_SESSION_CONNECTION_REFUSED = 1023,
  OTC_SESSION_CONNECTION_LIMIT_EXCEEDED = 1027,
  OTC_SESSION_SIGNAL_DATA_TOO_LONG = 1413,
  /* Rollcall: the client sent frames faster than its rate limit. */
  OTC_SESSION_TOO_MANY_MESSAGES = 1429,
  /* Rollcall: the client read too slowly; the server dropped it. */
  OTC_SESSION_SLOW_CONSUMER = 1503,
  OTC_SESSION_INTERNAL_ERROR = 2000,
  /* A malformed or unexpected frame from the server (OpenTok's name). */
  OTC_SESSION_UNEXPECTED_GET_SESSION_INFO_REPONSE = 2001
};

/* OpenTok's callback struct: the same fields, types and order as OpenTok's
 * Linux SDK (on_connected, on_disconnected, on_connection_created, ...), so
 * that positional initializers bind the same callbacks. NULL fields are
 * skipped. The struct is copied by otc_session_new(). Its layout is frozen:
 * libotc never adds a field to it (extensions are settings setters, below),
 * and `reserved` must be NULL. */
struct otc_session_callbacks {
  void (*on_connected)(otc_session* session, void* user_data);
  void (*on_disconnected)(otc_session* session, void* user_data);
  void (*on_connection_created)(otc_session* session, void* user_data,
                                const otc_connection* connection);
  void (*on_connection_dropped)(otc_session* session, void* user_data,
                                const otc_connection* connection);
  /* Never called (no streams in Rollcall). */
  void (*on_stream_received)(otc_session* session, void* user_data,
                             const otc_stream* stream);
  /* Never called. */
  void (*on_stream_dropped)(otc_session* session, void* user_data,
                            const otc_stream* stream);
  /* Never called. */
  void (*on_stream_has_audio_changed)(otc_session* session, void* user_data,
                                      const otc_stream* stream,
                                      otc_bool has_audio);
  /* Never called. */
  void (*on_stream_has_video_changed)(otc_session* session, void* user_data,
                                      const otc_stream* stream,
                                      otc_bool has_video);
  /* Never called. */
  void (*on_stream_video_dimensions_changed)(otc_session* session,
                                             void* user_data,
                                             const otc_stream* stream,
                                             int width, int height);
  /* Never called. */
  void (*on_stream_video_type_changed)(otc_session* session, void* user_data,
                                       const otc_stream* stream,
                                       enum otc_stream_video_type type);
  /* Never called (no signals in Rollcall). */
  void (*on_signal_received)(otc_session* session, void* user_data,
                             const char* type, const char* signal,
                             const otc_connection* connection);
  void (*on_reconnection_started)(otc_session* session, void* user_data);
  void (*on_reconnected)(otc_session* session, void* user_data);
  /* Never called (no archives in Rollcall). */
  void (*on_archive_started)(otc_session* session, void* user_data,
                             const char* archive_id, const char* name);
  /* Never called. */
  void (*on_archive_stopped)(otc_session* session, void* user_data,
                             const char* archive_id);
  void (*on_error)(otc_session* session, void* user_data,
                   const char* error_string,
                   enum otc_session_error_code error);
  void* user_data;
  void* reserved;
};

/* --- settings ------------------------------------------------------------ */

/* Extensions to the callbacks go through settings setters (nghttp2-style),
 * so that struct otc_session_callbacks keeps OpenTok's exact layout and new
 * callbacks never change the size of a struct that applications allocate. */
typedef void (*otc_session_batch_callback)(otc_session* session, void* user_data);

/* Defaults: server ws://127.0.0.1:8080/v1/ws, heartbeat 1000/2500 ms,
 * reconnection 250 ms initial backoff, 8000 ms cap, give up after 30000 ms,
 * connection events not suppressed. NULL when out of memory. */
OTC_API otc_session_settings* otc_session_settings_new(void);
OTC_API otc_status otc_session_settings_delete(otc_session_settings* settings);

/* OpenTok's connectionEventsSuppressed: no on_connection_created/_dropped at
 * all; others still see this client come and go. */
OTC_API otc_status otc_session_settings_set_connection_events_suppressed(
    otc_session_settings* settings, otc_bool suppress);

/* Extension: the server's WebSocket URL, ws:// or wss://host[:port]/path.
 * OTC_ERROR_INVALID_PARAM when it does not parse. When the application sets
 * no URL, the environment variable OTC_SERVER_URL names the server (read by
 * otc_session_new*; a value that does not parse makes it fail and log), so an
 * unmodified OpenTok-style program can be pointed at any Rollcall server. */
OTC_API otc_status otc_session_settings_set_server_url(
    otc_session_settings* settings, const char* url);

/* Extension: send a WebSocket ping every interval_ms; treat the server as lost
 * after timeout_ms without any frame from it. Both > 0, timeout > interval. */
OTC_API otc_status otc_session_settings_set_heartbeat(
    otc_session_settings* settings, int interval_ms, int timeout_ms);

/* Extension: reconnection policy. The first attempt follows a loss at once
 * (within 50 ms, jittered); the next waits initial_backoff_ms, doubling up to
 * max_backoff_ms, each jittered (between half and all of it). After
 * give_up_after_ms without success the session ends with on_error and
 * on_disconnected; 0 means never give up. */
OTC_API otc_status otc_session_settings_set_reconnection(
    otc_session_settings* settings, int initial_backoff_ms, int max_backoff_ms,
    int give_up_after_ms);

/*
 * Extension: batch boundaries, for bindings that want to take many events in
 * one call (e.g. one JNI upcall per frame instead of one per event).
 *
 * on_begin runs before the first on_connection_created/_dropped of a group
 * that libotc delivers together: the events of one server frame, the roster
 * after on_connected, the reconciliation after a reconnection, or one
 * otc_session_test_inject_connection_events() call. on_end runs after the
 * group's last event and before any other callback of the session. Groups are
 * never empty and never nest. Both run on the library thread with the
 * callbacks' user_data, like every callback (the rules under "Threading"
 * above hold for them too: they may disconnect or delete the session).
 * on_end follows every on_begin unless the session is deleted in between
 * (then nothing more of it is delivered); a disconnect in between stops the
 * group's events but still ends it. Connections passed to the events of a
 * group live only during their own callback, not until on_end: copy what you
 * keep (otc_connection_copy, or the fields).
 * Both NULL (the default) or both set; else OTC_ERROR_INVALID_PARAM.
 */
OTC_API otc_status otc_session_settings_set_batch_callbacks(
    otc_session_settings* settings, otc_session_batch_callback on_begin,
    otc_session_batch_callback on_end);

/* --- sessions ------------------------------------------------------------ */

/*
 * A new, unconnected session with default settings. `callbacks` is copied.
 * NULL when an argument is NULL or empty, otc_init() has not been called, or
 * out of memory.
 */
OTC_API otc_session* otc_session_new(const char* apikey, const char* session_id,
                                     const struct otc_session_callbacks* callbacks);

/* Same with settings (copied; NULL settings means defaults). */
OTC_API otc_session* otc_session_new_with_settings(
    const char* apikey, const char* session_id,
    const struct otc_session_callbacks* callbacks,
    otc_session_settings* settings);

/*
 * Starts connecting with a token (protocol.md "Tokens"); returns at once.
 * OTC_ERROR_INVALID_STATE when connecting or connected already. A session may
 * be connected again after on_disconnected, or after on_error ended a first
 * attempt. Called from another thread while that last callback runs, it
 * waits for it to return (as otc_session_delete does), so that a connect
 * that succeeded is never followed by the old cycle's callbacks; called from
 * inside it, it succeeds at once.
 */
OTC_API otc_status otc_session_connect(otc_session* session, const char* token);

/* Starts a graceful disconnect (close frame); on_disconnected follows.
 * OTC_ERROR_INVALID_STATE when not connecting or connected. */
OTC_API otc_status otc_session_disconnect(otc_session* session);

/*
 * Frees the session; a connected one closes its socket gracefully in the
 * background. See "Threading" above for calls during callbacks. A second
 * delete returns OTC_ERROR_INVALID_HANDLE.
 */
OTC_API otc_status otc_session_delete(otc_session* session);

/* Called once by otc_session_delete_async() when the session is gone. */
typedef void (*otc_session_deleted_callback)(otc_session* session, void* user_data);

/*
 * Extension: a delete that never waits, for threads that a callback may be
 * waiting for (one that holds a lock that the callbacks take, the common
 * pattern, where otc_session_delete() would deadlock).
 *
 * The handle is invalid when this returns: every later call with it returns
 * OTC_ERROR_INVALID_HANDLE (or NULL), also from a callback of the session
 * that is running meanwhile. The session leaves as with otc_session_delete()
 * (a graceful close in the background; while reconnecting, a resume and then
 * the close, within 2 s). No callback of the session begins after this call;
 * one that is running on the library thread is not waited for and returns
 * on its own.
 *
 * on_deleted (may be NULL) is called exactly once, on the library thread,
 * after the session's last callback has returned and its memory (roster,
 * connections, the pointer from otc_session_get_connection()) is freed:
 * free the callbacks' user_data there. It gets the dead handle (to tell
 * sessions apart; calls with it return OTC_ERROR_INVALID_HANDLE) and
 * `user_data` of this call. Like a callback, it should be short and may call
 * any function but otc_destroy(). A session that is leaving by resume is
 * reported when its leave ends, at most 2 s later. otc_destroy() completes
 * every pending delete (calling its on_deleted, after dropping leaves still
 * under way after 1 s) before it returns.
 *
 * May be called from any thread, including from a callback (then it takes
 * effect when the callback returns, as otc_session_delete() does).
 * OTC_ERROR_INVALID_HANDLE (and on_deleted is never called) when the handle
 * is NULL, deleted, or was deleted by a racing otc_destroy().
 */
OTC_API otc_status otc_session_delete_async(otc_session* session,
                                            otc_session_deleted_callback on_deleted,
                                            void* user_data);

/* The session ID given to otc_session_new(); valid until delete. */
OTC_API const char* otc_session_get_id(const otc_session* session);

/*
 * The session's own connection: NULL before on_connected and after
 * on_disconnected returns; it may change after a reconnection that had to
 * create a new connection. The pointer stays valid until otc_session_delete()
 * returns, or until otc_session_delete_async()'s on_deleted (libotc never
 * frees it earlier), but copy it to keep it beyond that.
 */
OTC_API const otc_connection* otc_session_get_connection(const otc_session* session);

#ifdef __cplusplus
}
#endif

#endif /* OTC_SESSION_H */
