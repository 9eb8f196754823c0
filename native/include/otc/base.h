#ifndef OTC_BASE_H
#define OTC_BASE_H

/*
 * Library setup, status codes and logging.
 *
 * Names and signatures follow the OpenTok Linux SDK, so code written against
 * its session API compiles against libotc.
 *
 * Threading model (see also docs/libotc.md):
 *  - otc_init() starts ONE internal thread (the "library thread") with one
 *    libuv event loop; every session of the process shares it.
 *  - Every public function may be called from any thread. Functions that act
 *    on a session post a command to the library thread and return at once.
 *  - Session callbacks run only on the library thread, one at a time.
 *    A callback that blocks stalls every session of the process.
 */

#include <stdint.h>

/* OTC_API marks the functions libotc exports; everything else is hidden. */
#if defined(__GNUC__)
#define OTC_API __attribute__((visibility("default")))
#else
#define OTC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int otc_bool;
#define OTC_TRUE 1
#define OTC_FALSE 0

/* Return code of most functions: OTC_SUCCESS or one of the errors below. */
typedef int otc_status;
#define OTC_SUCCESS 0
/* OpenTok's generic failure. */
#define OTC_ERROR 1
/* An argument is NULL, empty or out of range. */
#define OTC_ERROR_INVALID_PARAM (-1)
/* The call is not allowed now, e.g. connecting a session twice. */
#define OTC_ERROR_INVALID_STATE (-2)
/* otc_init() has not been called (or otc_destroy() has). */
#define OTC_ERROR_NOT_INITIALIZED (-3)
/* Out of memory. */
#define OTC_ERROR_NO_MEMORY (-4)
/* The handle is NULL, was deleted, or was never returned by libotc. */
#define OTC_ERROR_INVALID_HANDLE (-5)

/* A short English description of a status code. Never NULL; static storage. */
OTC_API const char* otc_status_string(otc_status status);

/* The library version as "MAJOR.MINOR.PATCH". Never NULL; static storage. */
OTC_API const char* otc_version(void);

/*
 * Starts the library: the shared event loop and its thread. Call once before
 * creating sessions. `reserved` must be NULL. Returns OTC_ERROR_INVALID_STATE
 * when already initialized.
 */
OTC_API otc_status otc_init(void* reserved);

/*
 * Stops the library. Sessions still alive are deleted (a connected one sends
 * a close frame, best effort within about a second); no callback runs after
 * this returns. Must not be called from a callback (OTC_ERROR_INVALID_STATE).
 * otc_init() may be called again afterwards.
 */
OTC_API otc_status otc_destroy(void);

/* Log levels, OpenTok's values. */
enum otc_log_level {
  OTC_LOG_LEVEL_DISABLED = 0,
  OTC_LOG_LEVEL_ERROR = 1,
  OTC_LOG_LEVEL_WARN = 2,
  OTC_LOG_LEVEL_INFO = 3,
  OTC_LOG_LEVEL_DEBUG = 4,
  OTC_LOG_LEVEL_MSG = 5,
  OTC_LOG_LEVEL_TRACE = 6,
  OTC_LOG_LEVEL_ALL = 100
};

/*
 * Messages at `level` and more severe are logged. Default: OTC_LOG_LEVEL_ERROR.
 * Without a callback, messages go to stderr.
 */
OTC_API void otc_log_enable(int level);

/* OpenTok's logger: receives the message only. NULL restores stderr. */
typedef void (*otc_logger_func)(const char* message);
OTC_API void otc_log_set_logger_callback(otc_logger_func logger);

/*
 * Extension: a logger that also receives the level, and user data. Replaces
 * any logger set with otc_log_set_logger_callback(); NULL restores stderr.
 * Loggers may be called from any thread, including the library thread, and
 * concurrently; `message` lives only during the call.
 */
typedef void (*otc_log_callback)(enum otc_log_level level, const char* message,
                                 void* user_data);
OTC_API void otc_log_set_callback(otc_log_callback callback, void* user_data);

#ifdef __cplusplus
}
#endif

#endif /* OTC_BASE_H */
