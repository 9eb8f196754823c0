#ifndef ROLLCALL_CORE_H
#define ROLLCALL_CORE_H

/*
 * The Java binding's JNI core (rollcall_core.c, core_batch.c): libotc's callbacks for every
 * session of the JVM, turned into batches of records that Java decodes
 * (org.rollcall.BatchDecoder). Built by CMake (java/binding/CMakeLists.txt)
 * as a static library with -Werror, and linked into libjniotc, whose JavaCPP
 * glue (org.rollcall.binding.Core) calls the functions declared here.
 *
 * One upcall per burst: libotc's batch hook (otc_session_settings_set_batch_
 * callbacks) brackets the connection events of one frame, roster,
 * reconciliation or injection; the core appends one record per event to a
 * buffer and calls NativeUpcalls.batch(ByteBuffer, int) once at the group's
 * end (or when the buffer is full). State events and errors are records too,
 * each sent at once, so the order of all events is libotc's.
 *
 * Record (native byte order, 8-byte aligned; Java mirrors it):
 *   0  int32 kind      RC_RECORD_*
 *   4  int32 code      state, drop reason or error code
 *   8  int64 handle    the Java session's handle number (user_data)
 *  16  int64 key       FNV-1a 64 of the connection ID (roster key)
 *  24  int64 time      creation time
 *  32  int32 length1   bytes of the first string (ID, own ID, error message), -1 for NULL
 *  36  int32 length2   bytes of the second string (data, own data), -1 for NULL
 *  40  int64 epoch     a connection event's position in its session's one order
 *  48  int64 seq       (otc_connection_get_event_epoch/_seq); seq -1: none (roster)
 *  56  the UTF-8 bytes of both strings, then padding to a multiple of 8
 *
 * Java returns how many bytes it took: whole records, in order. What it did
 * not take (OutOfMemoryError, or an exception the core finds pending and
 * clears: nothing thrown in Java ever reaches libotc's C frames) stays at the
 * front of the buffer and is offered again before anything newer. A refused
 * created record and its refused dropped record cancel out, so the backlog
 * stays as small as the difference between libotc's roster and Java's.
 *
 * Everything runs on libotc's library thread, except rc_jni_init() (before
 * otc_init() starts that thread) and rc_test_post_created().
 */

#include <jni.h>
#include <otc/otc.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The `code` of a state record. */
#define RC_CONNECTED 1
#define RC_RECONNECTING 2
#define RC_RECONNECTED 3
#define RC_DISCONNECTED 4

/* Record kinds. */
#define RC_RECORD_CANCELLED 0
#define RC_RECORD_STATE 1
#define RC_RECORD_CREATED 2
#define RC_RECORD_DROPPED 3
#define RC_RECORD_ERROR 4
#define RC_RECORD_HEADER 56

/* Finds NativeUpcalls through the caller's class loader (`core` is the class
 * Core, from JavaCPP) and keeps what the upcalls need. */
void rc_jni_init(JNIEnv* env, jclass core);

/* 0 once rc_jni_init() succeeded, else the negative step that failed. */
int rc_jni_status(void);

/* Sends libotc's log lines at `level` and more severe to Java (this copy's upcalls). */
void rc_set_log_level(int level);

/* A session whose events go to Java, tagged with `handle`; sets the batch
 * callbacks in `settings` (which may be NULL). NULL as
 * otc_session_new_with_settings() returns it. */
otc_session* rc_session_new(int64_t handle, const char* api_key, const char* session_id,
                            otc_session_settings* settings);

/* For tests: a created event with these raw bytes, through a batch of its
 * own on the calling thread (so any thread, any time). */
void rc_test_post_created(int64_t handle, const char* id, const char* data);

/* Records that Java did not take yet, kept to offer again. */
int64_t rc_pending_events(void);
/* Offers Java did not take completely (e.g. out of memory). */
int64_t rc_refused_event_count(void);
/* Events lost because even the C heap ran out. */
int64_t rc_lost_event_count(void);
/* Batch upcalls made so far. */
int64_t rc_batch_count(void);
/* libotc log lines this copy of the core received (each class loader has its own copy). */
int64_t rc_log_count(void);

#ifdef __cplusplus
}
#endif

#endif /* ROLLCALL_CORE_H */
