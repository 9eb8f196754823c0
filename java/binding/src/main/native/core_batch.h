#ifndef ROLLCALL_CORE_BATCH_H
#define ROLLCALL_CORE_BATCH_H

/*
 * Internal to the JNI core: the batch buffer (core_batch.c) that rollcall_core.c fills from
 * libotc's callbacks. The record layout is documented in rollcall_core.h.
 */

#include "rollcall_core.h"

#include <stddef.h>

struct rc_record {
  int32_t kind;
  int32_t code;
  int64_t handle;
  int64_t key;
  int64_t time;
  int32_t length1;
  int32_t length2;
  int64_t epoch; /* connection events only */
  int64_t seq;   /* -1: no position (roster, reconciliation, other kinds) */
};
_Static_assert(sizeof(struct rc_record) == RC_RECORD_HEADER, "record header layout");

/* Records waiting for Java, and the direct ByteBuffer that shows them to it. */
struct rc_batch {
  unsigned char* base;
  size_t used;
  size_t capacity;
  jobject buffer; /* global reference; NULL until first needed and after a move */
  int is_main;    /* the library thread's: its backlog is what rc_pending_events() counts */
};

/* Set up by rollcall_core.c (rc_jni_init). */
extern jclass rc_upcalls;
extern jmethodID rc_batch_method;
/* Events lost because even the C heap ran out (atomic). */
extern int64_t rc_lost;

/* Appends one record (its lengths are set here from the strings, which may be NULL). When it
 * does not fit, the records before it are offered first; if Java refuses them, the buffer grows;
 * if the C heap is out, the event is counted in rc_lost. */
void rc_append(JNIEnv* env, struct rc_batch* batch, struct rc_record* r, const char* first,
               const char* second);

/* Offers the records to Java in one upcall; what Java did not take stays at the front. 1 when
 * nothing is left. */
int rc_flush(JNIEnv* env, struct rc_batch* batch);

/* Drops the direct ByteBuffer (the memory stays). */
void rc_forget_buffer(JNIEnv* env, struct rc_batch* batch);

#endif /* ROLLCALL_CORE_BATCH_H */
