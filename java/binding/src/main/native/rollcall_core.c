/*
 * The Java binding's JNI core: see rollcall_core.h for the record format and
 * the rules. Plain C and plain JNI; every JNI call that can fail is checked,
 * and every pending exception is cleared before control returns to libotc.
 */
#include "core_batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static JavaVM* rc_vm;
jclass rc_upcalls; /* global reference to NativeUpcalls */
jmethodID rc_batch_method;
static jmethodID rc_log_method;
static pthread_key_t rc_attached_key;
static int rc_jni_state = -9; /* not initialised */

/* The library thread's batch, and the group (libotc's batch hook) it is in. */
static struct rc_batch rc_main = {NULL, 0, 0, NULL, 1};
static int rc_in_group;
static int64_t rc_group_handle;

static int64_t rc_log_lines;

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

/* --- libotc's callbacks ------------------------------------------------------ */

/* FNV-1a, 64 bits (0 for a NULL ID, which libotc never gives). */
static int64_t rc_key(const char* id) {
  if (!id) {
    return 0;
  }
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
  struct rc_record r = {RC_RECORD_STATE, state, rc_handle(user_data), 0, 0, 0, 0, 0, -1};
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
  struct rc_record r = {RC_RECORD_CREATED, 0, rc_handle(user_data), rc_key(id), 0, 0, 0,
                        otc_connection_get_event_epoch(connection),
                        otc_connection_get_event_seq(connection)};
  r.time = otc_connection_get_creation_time(connection);
  rc_send_connection_event(&r, id, otc_connection_get_data(connection));
}

static void rc_on_connection_dropped(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  const char* id = otc_connection_get_id(connection);
  struct rc_record r = {RC_RECORD_DROPPED, (int32_t)otc_connection_get_drop_reason(connection),
                        rc_handle(user_data), rc_key(id), 0, 0, 0,
                        otc_connection_get_event_epoch(connection),
                        otc_connection_get_event_seq(connection)};
  rc_send_connection_event(&r, id, NULL);
}

static void rc_on_error(otc_session* session, void* user_data, const char* error_string,
                        enum otc_session_error_code error) {
  (void)session;
  struct rc_record r = {RC_RECORD_ERROR, (int32_t)error, rc_handle(user_data), 0, 0, 0, 0, 0, -1};
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
  struct rc_batch batch = {NULL, 0, 0, NULL, 0};
  struct rc_record r = {RC_RECORD_CREATED, 0, handle, rc_key(id), 0, 0, 0, 0, -1};
  rc_append(env, &batch, &r, id, data);
  rc_flush(env, &batch);
  rc_forget_buffer(env, &batch);
  free(batch.base);
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
