/*
 * The Java binding's JNI core: see rollcall_core.h for the record format and
 * the rules. Plain C and plain JNI; every JNI call that can fail is checked,
 * and every pending exception is cleared before control returns to libotc.
 */
#include "rollcall_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* The buffer starts here and grows only when one event does not fit next to
 * records Java refused; 64 KiB holds about a thousand ordinary events. */
#define RC_INITIAL_CAPACITY (64 * 1024)

struct rc_record {
  int32_t kind;
  int32_t code;
  int64_t handle;
  int64_t key;
  int64_t time;
  int32_t length1;
  int32_t length2;
};
_Static_assert(sizeof(struct rc_record) == RC_RECORD_HEADER, "record header layout");

/* Records waiting for Java, and the direct ByteBuffer that shows them to it. */
struct rc_batch {
  unsigned char* base;
  size_t used;
  size_t capacity;
  jobject buffer; /* global reference; NULL until first needed and after a move */
};

static JavaVM* rc_vm;
static jclass rc_upcalls; /* global reference to NativeUpcalls */
static jmethodID rc_batch_method;
static jmethodID rc_log_method;
static pthread_key_t rc_attached_key;
static int rc_jni_state = -9; /* not initialised */

/* The library thread's batch, and the group (libotc's batch hook) it is in. */
static struct rc_batch rc_main;
static int rc_in_group;
static int64_t rc_group_handle;

static int64_t rc_pending_records; /* atomic: read by tests from other threads */
static int64_t rc_refused;
static int64_t rc_lost;
static int64_t rc_batches;
static int64_t rc_log_lines;

static size_t rc_align8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

static size_t rc_record_size(const struct rc_record* r) {
  size_t strings = (size_t)(r->length1 > 0 ? r->length1 : 0) + (size_t)(r->length2 > 0 ? r->length2 : 0);
  return rc_align8(RC_RECORD_HEADER + strings);
}

/* --- JNI setup and threads -------------------------------------------------- */

static void rc_detach(void* env) {
  (void)env;
  if (rc_vm) {
    (*rc_vm)->DetachCurrentThread(rc_vm);
  }
}

static int rc_jni_setup(JNIEnv* env) {
  if ((*env)->GetJavaVM(env, &rc_vm) != JNI_OK) {
    return -1;
  }
  /* From a native method of Core, FindClass uses Core's class loader. */
  jclass cls = (*env)->FindClass(env, "org/rollcall/NativeUpcalls");
  if (!cls) {
    (*env)->ExceptionClear(env);
    return -4;
  }
  rc_batch_method = (*env)->GetStaticMethodID(env, cls, "batch", "(Ljava/nio/ByteBuffer;I)I");
  rc_log_method = (*env)->GetStaticMethodID(env, cls, "log", "(I[B)V");
  if (!rc_batch_method || !rc_log_method) {
    (*env)->ExceptionClear(env);
    return -2;
  }
  rc_upcalls = (jclass)(*env)->NewGlobalRef(env, cls);
  if (!rc_upcalls || pthread_key_create(&rc_attached_key, rc_detach) != 0) {
    (*env)->ExceptionClear(env);
    return -3;
  }
  return 0;
}

EXPORT void rc_jni_init(JNIEnv* env, jclass core) {
  (void)core;
  rc_jni_state = rc_jni_setup(env);
}

EXPORT int rc_jni_status(void) {
  return rc_jni_state;
}

/* The calling thread's JNIEnv, attaching it (as a daemon, detached when the
 * thread ends) on first use. NULL when that fails. */
static JNIEnv* rc_env(void) {
  JNIEnv* env = NULL;
  if (!rc_vm) {
    return NULL;
  }
  jint got = (*rc_vm)->GetEnv(rc_vm, (void**)&env, JNI_VERSION_1_8);
  if (got == JNI_OK) {
    return env;
  }
  if (got != JNI_EDETACHED) {
    return NULL;
  }
  JavaVMAttachArgs args;
  args.version = JNI_VERSION_1_8;
  args.name = (char*)"rollcall-libotc";
  args.group = NULL;
  if ((*rc_vm)->AttachCurrentThreadAsDaemon(rc_vm, (void**)&env, &args) != JNI_OK) {
    return NULL;
  }
  pthread_setspecific(rc_attached_key, env);
  return env;
}

/* --- the batch buffer ------------------------------------------------------- */

static void rc_forget_buffer(JNIEnv* env, struct rc_batch* batch) {
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
static int rc_flush(JNIEnv* env, struct rc_batch* batch) {
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
  }
  if (batch == &rc_main) {
    __atomic_store_n(&rc_pending_records, batch->used ? rc_count_records(batch) : 0, __ATOMIC_RELAXED);
  }
  return batch->used == 0;
}

/* Appends one record. When it does not fit, the records before it are
 * offered first; if Java refuses them, the buffer grows. */
static void rc_append(JNIEnv* env, struct rc_batch* batch, struct rc_record* r,
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

/* --- libotc's callbacks ------------------------------------------------------ */

/* FNV-1a, 64 bits. */
static int64_t rc_key(const char* id) {
  uint64_t hash = 14695981039346656037u;
  for (const unsigned char* p = (const unsigned char*)id; *p; p++) {
    hash = (hash ^ *p) * 1099511628211u;
  }
  return (int64_t)hash;
}

static int64_t rc_handle(void* user_data) {
  return (int64_t)(intptr_t)user_data;
}

/* A record outside any group (state, error) goes at once, after all before it. */
static void rc_send_alone(struct rc_record* r, const char* first, const char* second) {
  JNIEnv* env = rc_env();
  if (!env) {
    __atomic_add_fetch(&rc_lost, 1, __ATOMIC_RELAXED);
    return;
  }
  rc_in_group = 0; /* a group whose session was deleted never ended */
  rc_append(env, &rc_main, r, first, second);
  rc_flush(env, &rc_main);
}

/* A connection event: sent with its group's end, or at once outside a group. */
static void rc_send_connection_event(struct rc_record* r, const char* id, const char* data) {
  JNIEnv* env = rc_env();
  if (!env) {
    __atomic_add_fetch(&rc_lost, 1, __ATOMIC_RELAXED);
    return;
  }
  rc_append(env, &rc_main, r, id, data);
  if (!rc_in_group || rc_group_handle != r->handle) {
    rc_flush(env, &rc_main);
  }
}

static void rc_on_begin(otc_session* session, void* user_data) {
  (void)session;
  rc_in_group = 1;
  rc_group_handle = rc_handle(user_data);
}

static void rc_on_end(otc_session* session, void* user_data) {
  (void)session;
  (void)user_data;
  rc_in_group = 0;
  JNIEnv* env = rc_env();
  if (env) {
    rc_flush(env, &rc_main);
  }
}

static void rc_report_state(otc_session* session, void* user_data, int state) {
  const otc_connection* own = otc_session_get_connection(session);
  struct rc_record r = {RC_RECORD_STATE, state, rc_handle(user_data), 0, 0, 0, 0};
  r.time = otc_connection_get_creation_time(own);
  rc_send_alone(&r, otc_connection_get_id(own), otc_connection_get_data(own));
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
  struct rc_record r = {RC_RECORD_CREATED, 0, rc_handle(user_data), rc_key(id), 0, 0, 0};
  r.time = otc_connection_get_creation_time(connection);
  rc_send_connection_event(&r, id, otc_connection_get_data(connection));
}

static void rc_on_connection_dropped(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  const char* id = otc_connection_get_id(connection);
  struct rc_record r = {RC_RECORD_DROPPED, (int32_t)otc_connection_get_drop_reason(connection),
                        rc_handle(user_data), rc_key(id), 0, 0, 0};
  rc_send_connection_event(&r, id, NULL);
}

static void rc_on_error(otc_session* session, void* user_data, const char* error_string,
                        enum otc_session_error_code error) {
  (void)session;
  struct rc_record r = {RC_RECORD_ERROR, (int32_t)error, rc_handle(user_data), 0, 0, 0, 0};
  rc_send_alone(&r, error_string ? error_string : "", NULL);
}

EXPORT otc_session* rc_session_new(int64_t handle, const char* api_key, const char* session_id,
                                   otc_session_settings* settings) {
  struct otc_session_callbacks callbacks;
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.on_connected = rc_on_connected;
  callbacks.on_reconnection_started = rc_on_reconnection_started;
  callbacks.on_reconnected = rc_on_reconnected;
  callbacks.on_disconnected = rc_on_disconnected;
  callbacks.on_connection_created = rc_on_connection_created;
  callbacks.on_connection_dropped = rc_on_connection_dropped;
  callbacks.on_error = rc_on_error;
  callbacks.user_data = (void*)(intptr_t)handle;
  otc_session_settings* own = settings ? NULL : otc_session_settings_new();
  otc_session_settings* used = settings ? settings : own;
  if (!used || otc_session_settings_set_batch_callbacks(used, rc_on_begin, rc_on_end) != OTC_SUCCESS) {
    otc_session_settings_delete(own);
    return NULL;
  }
  otc_session* session = otc_session_new_with_settings(api_key, session_id, &callbacks, used);
  if (own) {
    otc_session_settings_delete(own);
  }
  return session;
}

EXPORT void rc_test_post_created(int64_t handle, const char* id, const char* data) {
  JNIEnv* env = rc_env();
  if (!env) {
    return;
  }
  struct rc_batch batch = {NULL, 0, 0, NULL};
  struct rc_record r = {RC_RECORD_CREATED, 0, handle, rc_key(id), 0, 0, 0};
  rc_append(env, &batch, &r, id, data);
  rc_flush(env, &batch);
  rc_forget_buffer(env, &batch);
  free(batch.base);
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

EXPORT int64_t rc_log_count(void) {
  return __atomic_load_n(&rc_log_lines, __ATOMIC_RELAXED);
}

/* --- logging: libotc's log lines to Java (any thread) ------------------------ */

static void rc_on_log(enum otc_log_level level, const char* message, void* user_data) {
  (void)user_data;
  __atomic_add_fetch(&rc_log_lines, 1, __ATOMIC_RELAXED);
  JNIEnv* env = rc_env();
  if (!env || !message) {
    return;
  }
  jsize length = (jsize)strlen(message);
  jbyteArray bytes = (*env)->NewByteArray(env, length);
  if (!bytes) {
    (*env)->ExceptionClear(env);
    return;
  }
  (*env)->SetByteArrayRegion(env, bytes, 0, length, (const jbyte*)message);
  (*env)->CallStaticVoidMethod(env, rc_upcalls, rc_log_method, (jint)level, bytes);
  if ((*env)->ExceptionCheck(env)) {
    (*env)->ExceptionClear(env);
  }
  (*env)->DeleteLocalRef(env, bytes);
}

/* libotc has one log callback per process: the class loader that started the binding last
 * takes it over (a redeployed webapp), so no log line goes to a dead loader's classes. */
EXPORT void rc_set_log_level(int level) {
  otc_log_set_callback(rc_on_log, NULL);
  otc_log_enable(level);
}
