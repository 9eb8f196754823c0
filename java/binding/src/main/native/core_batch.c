/*
 * The JNI core's batch buffer: records appended on libotc's library thread, offered to Java in
 * one upcall (NativeUpcalls.batch), kept and offered again when Java does not take them.
 * See rollcall_core.h for the record layout and the rules.
 */
#include "core_batch.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* The buffer starts here and grows only when one event does not fit next to
 * records Java refused; 64 KiB holds about a thousand ordinary events. */
#define RC_INITIAL_CAPACITY (64 * 1024)
/* A buffer that grew past this (Java refused records for a while) is given back once empty. */
#define RC_MAX_IDLE_CAPACITY (1024 * 1024)

int64_t rc_lost;
static int64_t rc_pending_records; /* atomic: read by tests from other threads */
static int64_t rc_refused;
static int64_t rc_batches;

static size_t rc_align8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

static size_t rc_record_size(const struct rc_record* r) {
  size_t strings = (size_t)(r->length1 > 0 ? r->length1 : 0) + (size_t)(r->length2 > 0 ? r->length2 : 0);
  return rc_align8(RC_RECORD_HEADER + strings);
}

void rc_forget_buffer(JNIEnv* env, struct rc_batch* batch) {
  if (batch->buffer) {
    (*env)->DeleteGlobalRef(env, batch->buffer);
    batch->buffer = NULL;
  }
}

/* Room for `more` bytes after those used: 1, or 0 when the C heap is out. */
static int rc_reserve(JNIEnv* env, struct rc_batch* batch, size_t more) {
  size_t needed = batch->used + more;
  if (needed <= batch->capacity) {
    return 1;
  }
  size_t capacity = batch->capacity ? batch->capacity : RC_INITIAL_CAPACITY;
  while (capacity < needed) {
    capacity *= 2;
  }
  unsigned char* grown = (unsigned char*)realloc(batch->base, capacity);
  if (!grown) {
    return 0;
  }
  rc_forget_buffer(env, batch); /* it shows the old memory */
  batch->base = grown;
  batch->capacity = capacity;
  return 1;
}

static int64_t rc_count_records(const struct rc_batch* batch) {
  int64_t count = 0;
  for (size_t at = 0; at < batch->used; count++) {
    struct rc_record r;
    memcpy(&r, batch->base + at, sizeof r);
    at += rc_record_size(&r);
  }
  return count;
}

static int rc_same_connection(const struct rc_batch* batch, size_t a, size_t b) {
  struct rc_record ra, rb;
  memcpy(&ra, batch->base + a, sizeof ra);
  memcpy(&rb, batch->base + b, sizeof rb);
  return ra.handle == rb.handle && ra.key == rb.key && ra.length1 == rb.length1 &&
         memcmp(batch->base + a + RC_RECORD_HEADER, batch->base + b + RC_RECORD_HEADER,
                (size_t)(ra.length1 > 0 ? ra.length1 : 0)) == 0;
}

/* Among records Java refused: a dropped record cancels the created record of
 * the same connection (Java never saw either); then the cancelled records are
 * squeezed out. Looks back at most a few records: enough for a connection that
 * came and went in one frame, and cheap. */
static void rc_cancel_pairs(struct rc_batch* batch) {
  enum { LOOK_BACK = 64 };
  size_t recent[LOOK_BACK];
  int count = 0;
  for (size_t at = 0; at < batch->used;) {
    struct rc_record r;
    memcpy(&r, batch->base + at, sizeof r);
    if (r.kind == RC_RECORD_DROPPED) {
      for (int i = count - 1; i >= 0 && i >= count - LOOK_BACK; i--) {
        size_t before = recent[i % LOOK_BACK];
        int32_t kind;
        memcpy(&kind, batch->base + before, sizeof kind);
        if (kind == RC_RECORD_CREATED && rc_same_connection(batch, before, at)) {
          int32_t cancelled = RC_RECORD_CANCELLED;
          memcpy(batch->base + before, &cancelled, sizeof cancelled);
          memcpy(batch->base + at, &cancelled, sizeof cancelled);
          break;
        }
      }
    }
    recent[count % LOOK_BACK] = at;
    count++;
    at += rc_record_size(&r);
  }
  size_t kept = 0;
  for (size_t at = 0; at < batch->used;) {
    struct rc_record r;
    memcpy(&r, batch->base + at, sizeof r);
    size_t size = rc_record_size(&r);
    if (r.kind != RC_RECORD_CANCELLED) {
      memmove(batch->base + kept, batch->base + at, size);
      kept += size;
    }
    at += size;
  }
  batch->used = kept;
}

/* Offers the records to Java in one upcall. What Java did not take stays at
 * the front. 1 when nothing is left. */
int rc_flush(JNIEnv* env, struct rc_batch* batch) {
  if (batch->used == 0) {
    return 1;
  }
  jint taken = 0;
  if (!batch->buffer) {
    jobject local = (*env)->NewDirectByteBuffer(env, batch->base, (jlong)batch->capacity);
    batch->buffer = local ? (*env)->NewGlobalRef(env, local) : NULL;
    if (local) {
      (*env)->DeleteLocalRef(env, local);
    }
  }
  if (batch->buffer) {
    __atomic_add_fetch(&rc_batches, 1, __ATOMIC_RELAXED);
    taken = (*env)->CallStaticIntMethod(env, rc_upcalls, rc_batch_method, batch->buffer,
                                        (jint)batch->used);
  }
  if ((*env)->ExceptionCheck(env)) {
    (*env)->ExceptionClear(env); /* thrown before Java took anything */
    taken = 0;
  }
  if (taken < 0 || (size_t)taken > batch->used) {
    taken = 0; /* cannot happen; never skip records on a bad answer */
  }
  if ((size_t)taken < batch->used) {
    __atomic_add_fetch(&rc_refused, 1, __ATOMIC_RELAXED);
    memmove(batch->base, batch->base + taken, batch->used - (size_t)taken);
    batch->used -= (size_t)taken;
    rc_cancel_pairs(batch);
  } else {
    batch->used = 0;
    if (batch->capacity > RC_MAX_IDLE_CAPACITY) {
      rc_forget_buffer(env, batch);
      free(batch->base);
      batch->base = NULL;
      batch->capacity = 0;
    }
  }
  if (batch->is_main) {
    __atomic_store_n(&rc_pending_records, batch->used ? rc_count_records(batch) : 0, __ATOMIC_RELAXED);
  }
  return batch->used == 0;
}

/* Appends one record. When it does not fit, the records before it are
 * offered first; if Java refuses them, the buffer grows. */
void rc_append(JNIEnv* env, struct rc_batch* batch, struct rc_record* r,
                      const char* first, const char* second) {
  size_t length1 = first ? strlen(first) : 0;
  size_t length2 = second ? strlen(second) : 0;
  if (length1 > INT32_MAX / 2 || length2 > INT32_MAX / 2) {
    __atomic_add_fetch(&rc_lost, 1, __ATOMIC_RELAXED);
    return;
  }
  r->length1 = first ? (int32_t)length1 : -1;
  r->length2 = second ? (int32_t)length2 : -1;
  size_t size = rc_record_size(r);
  if (batch->used + size > batch->capacity && batch->used > 0) {
    rc_flush(env, batch);
  }
  if (!rc_reserve(env, batch, size)) {
    __atomic_add_fetch(&rc_lost, 1, __ATOMIC_RELAXED);
    return;
  }
  unsigned char* at = batch->base + batch->used;
  memcpy(at, r, sizeof *r);
  if (length1) {
    memcpy(at + RC_RECORD_HEADER, first, length1);
  }
  if (length2) {
    memcpy(at + RC_RECORD_HEADER + length1, second, length2);
  }
  memset(at + RC_RECORD_HEADER + length1 + length2, 0, size - RC_RECORD_HEADER - length1 - length2);
  batch->used += size;
}


EXPORT int64_t rc_pending_events(void) {
  return __atomic_load_n(&rc_pending_records, __ATOMIC_RELAXED);
}

EXPORT int64_t rc_refused_event_count(void) {
  return __atomic_load_n(&rc_refused, __ATOMIC_RELAXED);
}

EXPORT int64_t rc_lost_event_count(void) {
  return __atomic_load_n(&rc_lost, __ATOMIC_RELAXED);
}

EXPORT int64_t rc_batch_count(void) {
  return __atomic_load_n(&rc_batches, __ATOMIC_RELAXED);
}

