#ifndef ROLLCALL_CORE_H
#define ROLLCALL_CORE_H

/*
 * The Java binding's JNI core. The JNI code that JavaCPP generates for
 * org.rollcall.binding.Core includes this header, so it is compiled as C++
 * into libjniotc.
 *
 * It implements otc_session_callbacks once for all sessions and passes each
 * event to one static Java method per kind of event (org.rollcall.NativeUpcalls)
 * through plain JNI, with primitive arguments where possible:
 *  - user_data is not a pointer but the Java session's handle number;
 *  - a connection is named by a key, a 64-bit hash of its ID, so a dropped
 *    connection reaches Java without any string. Java keeps its roster by key;
 *    if two IDs of one session ever share a key, Java asks for the dropped
 *    connection's ID with rc_connection_id() during the call;
 *  - strings travel as byte[] of their UTF-8 bytes, decoded in Java with the
 *    real UTF-8 decoder (malformed input becomes U+FFFD).
 *
 * Nothing thrown in Java ever reaches libotc's C frames: after each JNI call
 * the core checks for a pending exception and clears it. An event that Java
 * did not take (the method returned false, or threw, e.g. OutOfMemoryError
 * while its arguments were being made) is copied to a pending list on the C
 * heap and offered again, in order, before the next event: a dropped event
 * cancels its pending created event, so the list stays as small as the
 * difference between libotc's roster and Java's.
 *
 * Everything here runs on libotc's library thread, except rc_jni_init().
 * rc_jni_init() must run before otc_init() starts that thread.
 */

#include <jni.h>
#include <otc/otc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The `state` argument of the state upcall. */
#define RC_CONNECTED 1
#define RC_RECONNECTING 2
#define RC_RECONNECTED 3
#define RC_DISCONNECTED 4

static JavaVM* rc_vm;
static jclass rc_upcalls; /* global reference to NativeUpcalls */
static jmethodID rc_state_method;
static jmethodID rc_created_method;
static jmethodID rc_dropped_method;
static jmethodID rc_error_method;
static jmethodID rc_log_method;
static pthread_key_t rc_attached_key;

/* Events Java did not take, offered again in order. */
enum rc_kind { RC_KIND_STATE, RC_KIND_CREATED, RC_KIND_DROPPED, RC_KIND_ERROR };
struct rc_event {
  struct rc_event* next;
  enum rc_kind kind;
  int64_t handle;
  int64_t key;
  int64_t time;
  int code; /* state, drop reason or error code */
  const char* id; /* or the error message */
  const char* data;
};
static struct rc_event* rc_pending_head;
static struct rc_event* rc_pending_tail;
/* Offers Java did not take (for tests). */
static int64_t rc_refused_events;
/* Events lost because even the C heap ran out (for tests and logs). */
static int64_t rc_lost_events;
/* The ID of the connection of the dropped upcall in progress. */
static const char* rc_dropped_id;

static void rc_detach(void* env) {
  (void)env;
  if (rc_vm) {
    rc_vm->DetachCurrentThread();
  }
}

static int rc_jni_state = -9; /* not initialised */

/* 0 on success; a negative step number when something is missing. */
static int rc_jni_setup(JNIEnv* env) {
  if (env->GetJavaVM(&rc_vm) != JNI_OK) {
    return -1;
  }
  /* From a native method of Core, FindClass uses Core's class loader: the
   * binding's own, also after a redeploy in another loader. */
  jclass cls = env->FindClass("org/rollcall/NativeUpcalls");
  if (!cls) {
    env->ExceptionClear();
    return -4;
  }
  rc_state_method = env->GetStaticMethodID(cls, "state", "(JI[B[BJ)Z");
  rc_created_method = env->GetStaticMethodID(cls, "created", "(JJJ[BI)Z");
  rc_dropped_method = env->GetStaticMethodID(cls, "dropped", "(JJIJ)Z");
  rc_error_method = env->GetStaticMethodID(cls, "error", "(JI[B)Z");
  rc_log_method = env->GetStaticMethodID(cls, "log", "(I[B)V");
  if (!rc_state_method || !rc_created_method || !rc_dropped_method ||
      !rc_error_method || !rc_log_method) {
    env->ExceptionClear();
    return -2;
  }
  rc_upcalls = (jclass)env->NewGlobalRef(cls);
  if (!rc_upcalls || pthread_key_create(&rc_attached_key, rc_detach) != 0) {
    env->ExceptionClear();
    return -3;
  }
  return 0;
}

/* `core` is the Java class Core (unused; JavaCPP passes it). */
static inline void rc_jni_init(JNIEnv* env, jclass core) {
  (void)core;
  rc_jni_state = rc_jni_setup(env);
}

static inline int rc_jni_status(void) {
  return rc_jni_state;
}

/* The calling thread's JNIEnv, attaching it (as a daemon, detached when the
 * thread ends) on first use. NULL when that fails. */
static JNIEnv* rc_env(void) {
  JNIEnv* env = NULL;
  if (!rc_vm) {
    return NULL;
  }
  jint got = rc_vm->GetEnv((void**)&env, JNI_VERSION_1_8);
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
  if (rc_vm->AttachCurrentThreadAsDaemon((void**)&env, &args) != JNI_OK) {
    return NULL;
  }
  pthread_setspecific(rc_attached_key, env);
  return env;
}

/* A byte[] of the bytes of `text`, NULL for NULL text. On failure NULL with
 * *failed set (the exception is cleared). */
static jbyteArray rc_bytes(JNIEnv* env, const char* text, int* failed) {
  if (!text) {
    return NULL;
  }
  jsize length = (jsize)strlen(text);
  jbyteArray bytes = env->NewByteArray(length);
  if (!bytes) {
    env->ExceptionClear();
    *failed = 1;
    return NULL;
  }
  env->SetByteArrayRegion(bytes, 0, length, (const jbyte*)text);
  return bytes;
}

/* A created event: ID and data in one byte[] (one JNI allocation, not two),
 * split at the ID's length in Java. */
static int rc_deliver_created(JNIEnv* env, const struct rc_event* event) {
  jsize id_length = (jsize)strlen(event->id);
  jsize data_length = event->data ? (jsize)strlen(event->data) : 0;
  jbyteArray bytes = env->NewByteArray(id_length + data_length);
  if (!bytes) {
    env->ExceptionClear();
    return 0;
  }
  env->SetByteArrayRegion(bytes, 0, id_length, (const jbyte*)event->id);
  if (data_length) {
    env->SetByteArrayRegion(bytes, id_length, data_length, (const jbyte*)event->data);
  }
  jboolean taken = env->CallStaticBooleanMethod(rc_upcalls, rc_created_method, (jlong)event->handle,
                                                (jlong)event->key, (jlong)event->time, bytes,
                                                (jint)id_length);
  if (env->ExceptionCheck()) {
    env->ExceptionClear();
    taken = JNI_FALSE;
  }
  env->DeleteLocalRef(bytes);
  return taken == JNI_TRUE;
}

/* Offers one event to Java: 1 when it was taken. Never leaves an exception pending. */
static int rc_deliver(JNIEnv* env, const struct rc_event* event) {
  if (event->kind == RC_KIND_CREATED) {
    return rc_deliver_created(env, event);
  }
  int failed = 0;
  jboolean taken = JNI_FALSE;
  jbyteArray id = rc_bytes(env, event->id, &failed);
  jbyteArray data = failed ? NULL : rc_bytes(env, event->data, &failed);
  if (!failed) {
    switch (event->kind) {
      case RC_KIND_STATE:
        taken = env->CallStaticBooleanMethod(rc_upcalls, rc_state_method, (jlong)event->handle,
                                             (jint)event->code, id, data, (jlong)event->time);
        break;
      case RC_KIND_CREATED:
        break; /* rc_deliver_created */
      case RC_KIND_DROPPED:
        rc_dropped_id = event->id;
        taken = env->CallStaticBooleanMethod(rc_upcalls, rc_dropped_method, (jlong)event->handle,
                                             (jlong)event->key, (jint)event->code, (jlong)0);
        rc_dropped_id = NULL;
        break;
      case RC_KIND_ERROR:
        taken = env->CallStaticBooleanMethod(rc_upcalls, rc_error_method, (jlong)event->handle,
                                             (jint)event->code, id);
        break;
    }
    if (env->ExceptionCheck()) {
      env->ExceptionClear();
      taken = JNI_FALSE;
    }
  }
  if (id) {
    env->DeleteLocalRef(id);
  }
  if (data) {
    env->DeleteLocalRef(data);
  }
  return taken == JNI_TRUE;
}

static void rc_free_event(struct rc_event* event) {
  free((void*)event->id);
  free((void*)event->data);
  free(event);
}

/* Keeps a copy of an event Java did not take. A dropped event whose created
 * event is still pending cancels it instead. */
static void rc_keep(const struct rc_event* event) {
  if (event->kind == RC_KIND_DROPPED) {
    struct rc_event* before = NULL;
    for (struct rc_event* p = rc_pending_head; p; before = p, p = p->next) {
      if (p->kind == RC_KIND_CREATED && p->handle == event->handle && p->key == event->key &&
          strcmp(p->id, event->id) == 0) {
        if (before) {
          before->next = p->next;
        } else {
          rc_pending_head = p->next;
        }
        if (rc_pending_tail == p) {
          rc_pending_tail = before;
        }
        rc_free_event(p);
        return;
      }
    }
  }
  struct rc_event* copy = (struct rc_event*)calloc(1, sizeof *copy);
  if (copy) {
    *copy = *event;
    copy->next = NULL;
    copy->id = event->id ? strdup(event->id) : NULL;
    copy->data = event->data ? strdup(event->data) : NULL;
  }
  if (!copy || (event->id && !copy->id) || (event->data && !copy->data)) {
    if (copy) {
      rc_free_event(copy);
    }
    rc_lost_events++;
    return;
  }
  if (rc_pending_tail) {
    rc_pending_tail->next = copy;
  } else {
    rc_pending_head = copy;
  }
  rc_pending_tail = copy;
}

/* Offers the pending events again: 1 when none is left. */
static int rc_flush(JNIEnv* env) {
  while (rc_pending_head) {
    if (!rc_deliver(env, rc_pending_head)) {
      return 0;
    }
    struct rc_event* done = rc_pending_head;
    rc_pending_head = done->next;
    if (!rc_pending_head) {
      rc_pending_tail = NULL;
    }
    rc_free_event(done);
  }
  return 1;
}

/* Delivers an event after those pending, or keeps it. */
static void rc_post(const struct rc_event* event) {
  JNIEnv* env = rc_env();
  if (!env) {
    rc_lost_events++;
    return;
  }
  if ((rc_pending_head && !rc_flush(env)) || !rc_deliver(env, event)) {
    rc_refused_events++;
    rc_keep(event);
  }
}

/* For tests: events pending and lost so far. */
static inline int64_t rc_pending_events(void) {
  int64_t count = 0;
  for (struct rc_event* p = rc_pending_head; p; p = p->next) {
    count++;
  }
  return count;
}

static inline int64_t rc_refused_event_count(void) {
  return rc_refused_events;
}

static inline int64_t rc_lost_event_count(void) {
  return rc_lost_events;
}

/* FNV-1a, 64 bits. */
static inline int64_t rc_key(const char* id) {
  uint64_t hash = 14695981039346656037u;
  for (const unsigned char* p = (const unsigned char*)id; *p; p++) {
    hash = (hash ^ *p) * 1099511628211u;
  }
  return (int64_t)hash;
}

static inline int64_t rc_handle(void* user_data) {
  return (int64_t)(intptr_t)user_data;
}

static void rc_report_state(otc_session* session, void* user_data, int state) {
  const otc_connection* own = otc_session_get_connection(session);
  struct rc_event event = {};
  event.kind = RC_KIND_STATE;
  event.handle = rc_handle(user_data);
  event.code = state;
  event.id = otc_connection_get_id(own);
  event.data = otc_connection_get_data(own);
  event.time = otc_connection_get_creation_time(own);
  rc_post(&event);
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

static void rc_post_created(int64_t handle, const char* id, const char* data, int64_t time) {
  struct rc_event event = {};
  event.kind = RC_KIND_CREATED;
  event.handle = handle;
  event.key = rc_key(id);
  event.time = time;
  event.id = id;
  event.data = data;
  rc_post(&event);
}

static void rc_on_connection_created(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  rc_post_created(rc_handle(user_data), otc_connection_get_id(connection),
                  otc_connection_get_data(connection),
                  otc_connection_get_creation_time(connection));
}

static void rc_on_connection_dropped(otc_session* session, void* user_data,
                                     const otc_connection* connection) {
  (void)session;
  struct rc_event event = {};
  event.kind = RC_KIND_DROPPED;
  event.handle = rc_handle(user_data);
  event.id = otc_connection_get_id(connection);
  event.key = rc_key(event.id);
  event.code = (int)otc_connection_get_drop_reason(connection);
  rc_post(&event);
}

static void rc_on_error(otc_session* session, void* user_data,
                        const char* error_string, enum otc_session_error_code error) {
  (void)session;
  struct rc_event event = {};
  event.kind = RC_KIND_ERROR;
  event.handle = rc_handle(user_data);
  event.code = (int)error;
  event.id = error_string;
  rc_post(&event);
}

/* The UTF-8 ID of the connection of the dropped upcall in progress (so on the
 * library thread); the argument is kept for compatibility and ignored. */
static inline const char* rc_connection_id(int64_t connection) {
  (void)connection;
  return rc_dropped_id ? rc_dropped_id : "";
}

/* A session whose events go to Java, tagged with `handle`.
 * NULL as otc_session_new_with_settings() returns it. */
static inline otc_session* rc_session_new(int64_t handle, const char* api_key,
                                          const char* session_id,
                                          otc_session_settings* settings) {
  struct otc_session_callbacks callbacks = {};
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

/* For tests: a created event with these raw bytes, through the same path as
 * libotc's (the calling Java thread stands in for the library thread, so call
 * it only while no session of the JVM is active). */
static inline void rc_test_post_created(int64_t handle, const char* id, const char* data) {
  rc_post_created(handle, id, data, 0);
}

/* --- logging: libotc's log lines to Java ----------------------------------- */

static void rc_on_log(enum otc_log_level level, const char* message, void* user_data) {
  (void)user_data;
  JNIEnv* env = rc_env();
  if (!env) {
    return;
  }
  int failed = 0;
  jbyteArray bytes = rc_bytes(env, message, &failed);
  if (!failed) {
    env->CallStaticVoidMethod(rc_upcalls, rc_log_method, (jint)level, bytes);
    if (env->ExceptionCheck()) {
      env->ExceptionClear();
    }
  }
  if (bytes) {
    env->DeleteLocalRef(bytes);
  }
}

/* Sends libotc's messages at `level` and more severe to Java. After rc_jni_init(). */
static inline void rc_set_log_level(int level) {
  otc_log_set_callback(rc_on_log, NULL);
  otc_log_enable(level);
}

#endif /* ROLLCALL_CORE_H */
