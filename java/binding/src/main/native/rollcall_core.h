#ifndef ROLLCALL_CORE_H
#define ROLLCALL_CORE_H

/*
 * The Java binding's C core. The JNI code that JavaCPP generates for
 * org.rollcall.binding.Core includes this header, so it is compiled (as C++)
 * into libjniotc; it is plain C otherwise.
 *
 * It implements otc_session_callbacks once for all sessions and passes each
 * event on to one Java callback per kind of event, with primitive arguments
 * where possible, because every pointer argument costs a Java object:
 *  - user_data is not a pointer but the Java session's handle number;
 *  - a connection is named by a key, a 64-bit hash of its ID, so a dropped
 *    connection reaches Java without any string. Java keeps its roster by key;
 *    if two IDs of one session ever share a key, Java asks for the dropped
 *    connection's ID with rc_connection_id() during the call.
 * One C function per kind of event serves every session: JavaCPP gives a C
 * pointer to only ten live instances of one callback class.
 *
 * Strings reach Java through JNI's NewStringUTF (MODIFIED_UTF8_STRING in the
 * presets), much cheaper than decoding a byte[] in Java, but it reads
 * "modified UTF-8": the same as UTF-8 except that a character beyond U+FFFF is
 * two 3-byte surrogates instead of one 4-byte sequence. rc_jni_string()
 * rewrites the rare string where the two differ.
 *
 * rc_set_callbacks() must run before otc_init() starts the library thread.
 */

#include <otc/otc.h>
#include <otc/testing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The `state` argument of rc_state_fn. */
#define RC_CONNECTED 1
#define RC_RECONNECTING 2
#define RC_RECONNECTED 3
#define RC_DISCONNECTED 4

/* own_id and own_data are NULL when the session has no connection (yet). */
typedef void (*rc_state_fn)(int64_t handle, int state, const char* own_id,
                            const char* own_data, int64_t own_creation_time);
typedef void (*rc_created_fn)(int64_t handle, int64_t key, int64_t creation_time,
                              const char* id, const char* data);
/* `connection` is the otc_connection's address, valid during the call only. */
typedef void (*rc_dropped_fn)(int64_t handle, int64_t key, int reason,
                              int64_t connection);
typedef void (*rc_error_fn)(int64_t handle, int code, const char* message);
typedef void (*rc_log_fn)(int level, const char* message);

static rc_state_fn rc_java_state;
static rc_created_fn rc_java_created;
static rc_dropped_fn rc_java_dropped;
static rc_error_fn rc_java_error;
static rc_log_fn rc_java_log;

static inline void rc_set_callbacks(rc_state_fn state, rc_created_fn created,
                                    rc_dropped_fn dropped, rc_error_fn error) {
  rc_java_state = state;
  rc_java_created = created;
  rc_java_dropped = dropped;
  rc_java_error = error;
}

/* FNV-1a, 64 bits. */
static inline int64_t rc_key(const char* id) {
  uint64_t hash = 14695981039346656037u;
  for (const unsigned char* p = (const unsigned char*)id; *p; p++) {
    hash = (hash ^ *p) * 1099511628211u;
  }
  return (int64_t)hash;
}

/* --- strings for JNI --------------------------------------------------------- */

static inline int rc_continues(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

/* The length (1 to 3) of the UTF-8 sequence at `p` when modified UTF-8 spells
 * it the same way, else 0 (a 4-byte sequence, or malformed). */
static inline int rc_same_in_modified_utf8(const unsigned char* p) {
  if (p[0] < 0x80) {
    return 1;
  }
  if (p[0] >= 0xC2 && p[0] <= 0xDF && rc_continues(p[1])) {
    return 2;
  }
  if (p[0] >= 0xE0 && p[0] <= 0xEF && rc_continues(p[1]) && rc_continues(p[2])) {
    return 3;
  }
  return 0;
}

static inline char* rc_put_3_bytes(char* out, unsigned unit) {
  *out++ = (char)(0xE0 | (unit >> 12));
  *out++ = (char)(0x80 | ((unit >> 6) & 0x3F));
  *out++ = (char)(0x80 | (unit & 0x3F));
  return out;
}

/* A modified UTF-8 copy of `text` (caller frees): 4-byte sequences become
 * surrogate pairs, malformed bytes '?'. NULL when out of memory. */
static char* rc_to_modified_utf8(const char* text) {
  char* copy = (char*)malloc(strlen(text) * 3 / 2 + 1);
  if (!copy) {
    return NULL;
  }
  char* out = copy;
  const unsigned char* p = (const unsigned char*)text;
  while (*p) {
    int same = rc_same_in_modified_utf8(p);
    if (same) {
      memcpy(out, p, (size_t)same);
      out += same;
      p += same;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4 && rc_continues(p[1]) &&
               rc_continues(p[2]) && rc_continues(p[3])) {
      unsigned code = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
                      ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
      if (code < 0x10000 || code > 0x10FFFF) {
        *out++ = '?';
      } else {
        code -= 0x10000;
        out = rc_put_3_bytes(out, 0xD800 | (code >> 10));
        out = rc_put_3_bytes(out, 0xDC00 | (code & 0x3FF));
      }
      p += 4;
    } else {
      *out++ = '?';
      p++;
    }
  }
  *out = '\0';
  return copy;
}

static const char rc_out_of_memory_text[] = "?";

/* `text` ready for NewStringUTF: itself when it already is (nearly always),
 * else a copy to release with rc_jni_string_free(). */
static const char* rc_jni_string(const char* text) {
  if (!text) {
    return NULL;
  }
  for (const unsigned char* p = (const unsigned char*)text; *p;) {
    int same = rc_same_in_modified_utf8(p);
    if (!same) {
      const char* copy = rc_to_modified_utf8(text);
      return copy ? copy : rc_out_of_memory_text;
    }
    p += same;
  }
  return text;
}

static inline void rc_jni_string_free(const char* jni, const char* text) {
  if (jni != text && jni != rc_out_of_memory_text) {
    free((void*)jni);
  }
}

/* For tests: what rc_jni_string() makes of `text`, copied into `out`. Its
 * length, or -1 when it does not fit in `size` bytes. */
static inline int rc_test_jni_string(const char* text, char* out, int size) {
  const char* jni = rc_jni_string(text);
  size_t length = strlen(jni);
  int fits = size > 0 && length < (size_t)size;
  if (fits) {
    memcpy(out, jni, length + 1);
  }
  rc_jni_string_free(jni, text);
  return fits ? (int)length : -1;
}

static inline int64_t rc_handle(void* user_data) {
  return (int64_t)(intptr_t)user_data;
}

static void rc_report_state(otc_session* session, void* user_data, int state) {
  const otc_connection* own = otc_session_get_connection(session);
  const char* id = otc_connection_get_id(own);
  const char* data = otc_connection_get_data(own);
  const char* jni_id = rc_jni_string(id);
  const char* jni_data = rc_jni_string(data);
  rc_java_state(rc_handle(user_data), state, jni_id, jni_data,
                otc_connection_get_creation_time(own));
  rc_jni_string_free(jni_id, id);
  rc_jni_string_free(jni_data, data);
}

static void rc_on_connected(otc_session* session, void* user_data) {
  rc_report_state(session, user_data, RC_CONNECTED);
}

static void rc_on_reconnection_started(otc_session* session, void* user_data) {
  rc_report_state(session, user_data, RC_RECONNECTING);
}

static void rc_on_reconnected(otc_session* session, void* user_data) {
  rc_report_state(session, user_data, RC_RECONNECTED);
}

static void rc_on_disconnected(otc_session* session, void* user_data) {
  rc_report_state(session, user_data, RC_DISCONNECTED);
}

static void rc_on_connection_created(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  const char* id = otc_connection_get_id(connection);
  const char* data = otc_connection_get_data(connection);
  const char* jni_id = rc_jni_string(id);
  const char* jni_data = rc_jni_string(data);
  rc_java_created(rc_handle(user_data), rc_key(id),
                  otc_connection_get_creation_time(connection), jni_id, jni_data);
  rc_jni_string_free(jni_id, id);
  rc_jni_string_free(jni_data, data);
}

static void rc_on_connection_dropped(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  rc_java_dropped(rc_handle(user_data), rc_key(otc_connection_get_id(connection)),
                  (int)otc_connection_get_drop_reason(connection),
                  (int64_t)(intptr_t)connection);
}

static void rc_on_error(otc_session* session, void* user_data,
                        const char* error_string, enum otc_session_error_code error) {
  (void)session;
  const char* message = rc_jni_string(error_string);
  rc_java_error(rc_handle(user_data), (int)error, message);
  rc_jni_string_free(message, error_string);
}

/* The ID of the connection passed to rc_dropped_fn, during that call (so on
 * the library thread). A converted copy lives until the next call. */
static inline const char* rc_connection_id(int64_t connection) {
  static const char* last_copy;
  const char* id = otc_connection_get_id((const otc_connection*)(intptr_t)connection);
  const char* jni_id = rc_jni_string(id);
  if (last_copy) {
    rc_jni_string_free(last_copy, NULL);
  }
  last_copy = jni_id != id ? jni_id : NULL;
  return jni_id;
}

/* A session whose events go to the Java callbacks, tagged with `handle`.
 * NULL as otc_session_new_with_settings() returns it. */
static inline otc_session* rc_session_new(int64_t handle, const char* api_key,
                                          const char* session_id,
                                          otc_session_settings* settings) {
  struct otc_session_callbacks callbacks = {0};
  callbacks.on_connected = rc_on_connected;
  callbacks.on_reconnection_started = rc_on_reconnection_started;
  callbacks.on_reconnected = rc_on_reconnected;
  callbacks.on_disconnected = rc_on_disconnected;
  callbacks.on_connection_created = rc_on_connection_created;
  callbacks.on_connection_dropped = rc_on_connection_dropped;
  callbacks.on_error = rc_on_error;
  callbacks.user_data = (void*)(intptr_t)handle;
  return otc_session_new_with_settings(api_key, session_id, &callbacks, settings);
}

/* --- logging: libotc's log lines to Java ----------------------------------- */

static void rc_on_log(enum otc_log_level level, const char* message, void* user_data) {
  (void)user_data;
  const char* text = rc_jni_string(message);
  rc_java_log((int)level, text);
  rc_jni_string_free(text, message);
}

/* Sends libotc's messages at `level` and more severe to `log`. */
static inline void rc_set_log(rc_log_fn log, int level) {
  rc_java_log = log;
  otc_log_set_callback(rc_on_log, NULL);
  otc_log_enable(level);
}

/* --- benchmark: the same events into C alone -------------------------------- */

/* Events counted by the C callbacks below (on the library thread). The
 * checksum keeps the compiler from dropping the work. */
static int64_t rc_bench_events;
static volatile int64_t rc_bench_checksum;

/* Does the work of rc_on_connection_created short of calling Java. */
static void rc_bench_on_created(otc_session* session, void* user_data,
                                const otc_connection* connection) {
  (void)session;
  (void)user_data;
  const char* id = otc_connection_get_id(connection);
  rc_bench_checksum += rc_key(id) + otc_connection_get_creation_time(connection) +
                       (otc_connection_get_data(connection) != NULL);
  __atomic_add_fetch(&rc_bench_events, 1, __ATOMIC_RELEASE);
}

static void rc_bench_on_dropped(otc_session* session, void* user_data,
                                const otc_connection* connection) {
  (void)session;
  (void)user_data;
  rc_bench_checksum += rc_key(otc_connection_get_id(connection)) +
                       (int)otc_connection_get_drop_reason(connection);
  __atomic_add_fetch(&rc_bench_events, 1, __ATOMIC_RELEASE);
}

/* A session whose connection events only count, in C. */
static inline otc_session* rc_bench_session_new(const char* api_key,
                                                const char* session_id) {
  struct otc_session_callbacks callbacks = {0};
  callbacks.on_connection_created = rc_bench_on_created;
  callbacks.on_connection_dropped = rc_bench_on_dropped;
  return otc_session_new(api_key, session_id, &callbacks);
}

/* Connection events counted by benchmark sessions so far. */
static inline int64_t rc_bench_event_count(void) {
  return __atomic_load_n(&rc_bench_events, __ATOMIC_ACQUIRE);
}

#endif /* ROLLCALL_CORE_H */
