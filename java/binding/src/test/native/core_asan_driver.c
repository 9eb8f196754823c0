/*
 * The binding's JNI core (rollcall_core.c) under ASan and UBSan, without a JVM: a fake JNIEnv
 * stands in for Java. Its "batch" method reads the records as BatchDecoder does, keeps a roster
 * and fails the test on a duplicate or unknown connection, a bad record, or an order change;
 * it can refuse records (as Java does when memory runs out) or throw. Events come from libotc's
 * real library thread (libotc-testing's injection hook) and a real failed connect.
 *
 * Why a fake JNIEnv rather than the JVM with libasan preloaded: HotSpot uses SIGSEGV for its own
 * purposes and reserves large address ranges, which ASan handles poorly; the fake also lets the
 * test make every JNI call fail on demand. CTest runs it (java/binding/CMakeLists.txt), so
 * `mvn install` runs the core under ASan every time.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep */
#include <jni.h>
#include <otc/otc.h>
#include <otc/testing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rollcall_core.h"

#define REQUIRE(cond, ...)                                            \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: REQUIRE(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
      exit(1);                                                        \
    }                                                                 \
  } while (0)

/* --- the fake Java side ------------------------------------------------------- */

struct fake_buffer {
  void* address;
  jlong capacity;
};

static _Thread_local int pending_exception;
static int fail_direct_buffers; /* NewDirectByteBuffer fails (out of memory) */
static int throw_until_other;   /* batch calls throw (before taking anything) until one holds a
                                   record of the second session (handle 8) */
static int refuse_after = -1;   /* >= 0: the next batch takes so many records, then refuses */

/* What "Java" was told, touched only by the batch method (on one thread at a time). */
#define MAX_ROSTER 4096
static char* roster[MAX_ROSTER];
static int roster_size;
static long created_events, dropped_events, state_events, error_events, batch_calls;
static long logged_lines; /* atomic */
static char last_created[64];

static int roster_find(const char* id) {
  for (int i = 0; i < roster_size; i++) {
    if (strcmp(roster[i], id) == 0) {
      return i;
    }
  }
  return -1;
}

/* One record, as BatchDecoder reads it; returns its size. */
static size_t take_record(const unsigned char* at, size_t left) {
  int32_t kind, code, length1, length2;
  int64_t handle;
  REQUIRE(left >= RC_RECORD_HEADER, "a record header is cut (%zu bytes left)", left);
  memcpy(&kind, at, 4);
  memcpy(&code, at + 4, 4);
  memcpy(&handle, at + 8, 8);
  memcpy(&length1, at + 32, 4);
  memcpy(&length2, at + 36, 4);
  REQUIRE(length1 >= -1 && length2 >= -1, "lengths %d %d", length1, length2);
  size_t size = (RC_RECORD_HEADER + (size_t)(length1 > 0 ? length1 : 0) + (size_t)(length2 > 0 ? length2 : 0) + 7) & ~(size_t)7;
  REQUIRE(size <= left, "a record of %zu bytes with %zu left", size, left);
  REQUIRE(handle == 7 || handle == 8, "handle %lld", (long long)handle);
  char id[256] = "";
  if (length1 > 0) {
    REQUIRE(length1 < (int)sizeof id, "id of %d bytes", length1);
    memcpy(id, at + RC_RECORD_HEADER, (size_t)length1);
  }
  switch (kind) {
    case RC_RECORD_CREATED:
      REQUIRE(roster_find(id) < 0, "created twice: %s", id);
      REQUIRE(roster_size < MAX_ROSTER, "roster full");
      roster[roster_size++] = strdup(id);
      snprintf(last_created, sizeof last_created, "%s", id);
      created_events++;
      break;
    case RC_RECORD_DROPPED: {
      int i = roster_find(id);
      REQUIRE(i >= 0, "dropped but never created: %s", id);
      REQUIRE(code == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED, "reason %d", code);
      free(roster[i]);
      roster[i] = roster[--roster_size];
      dropped_events++;
      break;
    }
    case RC_RECORD_STATE:
      state_events++;
      break;
    case RC_RECORD_ERROR:
      error_events++;
      break;
    default:
      REQUIRE(0, "record kind %d", kind);
  }
  return size;
}

static jint batch(jobject buffer, jint length) {
  batch_calls++;
  const struct fake_buffer* b = (const struct fake_buffer*)buffer;
  REQUIRE(length > 0 && length <= b->capacity, "length %d of a %lld-byte buffer", length, (long long)b->capacity);
  if (throw_until_other) {
    int other = 0;
    for (size_t at = 0; at < (size_t)length;) {
      int64_t handle;
      int32_t length1, length2;
      memcpy(&handle, (const unsigned char*)b->address + at + 8, 8);
      memcpy(&length1, (const unsigned char*)b->address + at + 32, 4);
      memcpy(&length2, (const unsigned char*)b->address + at + 36, 4);
      other |= handle == 8;
      at += (RC_RECORD_HEADER + (size_t)(length1 > 0 ? length1 : 0) + (size_t)(length2 > 0 ? length2 : 0) + 7) & ~(size_t)7;
    }
    if (!other) {
      pending_exception = 1; /* OutOfMemoryError before anything was taken */
      return 0;
    }
    throw_until_other = 0;
  }
  size_t at = 0;
  for (int records = 0; at < (size_t)length; records++) {
    if (refuse_after >= 0 && records == refuse_after) {
      refuse_after = -1;
      return (jint)at;
    }
    at += take_record((const unsigned char*)b->address + at, (size_t)length - at);
  }
  return (jint)at;
}

/* --- the fake JNI functions --------------------------------------------------------- */

static JavaVM fake_vm;

static jint JNICALL vm_get_env(JavaVM* vm, void** env, jint version);
static jint JNICALL vm_attach(JavaVM* vm, void** env, void* args);
static jint JNICALL vm_detach(JavaVM* vm) {
  (void)vm;
  return JNI_OK;
}
static const struct JNIInvokeInterface_ fake_invoke = {
    .GetEnv = vm_get_env, .AttachCurrentThreadAsDaemon = vm_attach, .DetachCurrentThread = vm_detach};

static jint JNICALL get_java_vm(JNIEnv* env, JavaVM** vm) {
  (void)env;
  *vm = &fake_vm;
  return JNI_OK;
}
static jclass JNICALL find_class(JNIEnv* env, const char* name) {
  (void)env;
  REQUIRE(strcmp(name, "org/rollcall/NativeUpcalls") == 0, "FindClass %s", name);
  static int upcalls_class;
  return (jclass)&upcalls_class;
}
static int batch_id, log_id;
static jmethodID JNICALL get_static_method_id(JNIEnv* env, jclass cls, const char* name, const char* sig) {
  (void)env;
  (void)cls;
  if (strcmp(name, "batch") == 0 && strcmp(sig, "(Ljava/nio/ByteBuffer;I)I") == 0) {
    return (jmethodID)&batch_id;
  }
  if (strcmp(name, "log") == 0 && strcmp(sig, "(I[B)V") == 0) {
    return (jmethodID)&log_id;
  }
  return NULL;
}
static jobject JNICALL new_global_ref(JNIEnv* env, jobject object) {
  (void)env;
  return object;
}
static void JNICALL delete_global_ref(JNIEnv* env, jobject object) {
  (void)env;
  free(object); /* only direct buffers are ever deleted: the core keeps the class for good */
}
static void JNICALL delete_local_ref(JNIEnv* env, jobject object) {
  (void)env;
  (void)object; /* local references are the global ones (buffers) or byte arrays freed below */
}
static jboolean JNICALL exception_check(JNIEnv* env) {
  (void)env;
  return pending_exception ? JNI_TRUE : JNI_FALSE;
}
static void JNICALL exception_clear(JNIEnv* env) {
  (void)env;
  pending_exception = 0;
}
static jobject JNICALL new_direct_byte_buffer(JNIEnv* env, void* address, jlong capacity) {
  (void)env;
  REQUIRE(!pending_exception, "a JNI call with an exception pending");
  if (fail_direct_buffers) {
    pending_exception = 1;
    return NULL;
  }
  struct fake_buffer* b = malloc(sizeof *b);
  b->address = address;
  b->capacity = capacity;
  return (jobject)b;
}
static jint JNICALL call_static_int_method(JNIEnv* env, jclass cls, jmethodID method, ...) {
  (void)env;
  (void)cls;
  REQUIRE(!pending_exception, "a JNI call with an exception pending");
  REQUIRE(method == (jmethodID)&batch_id, "unknown int method");
  va_list args;
  va_start(args, method);
  jobject buffer = va_arg(args, jobject);
  jint length = va_arg(args, jint);
  va_end(args);
  return batch(buffer, length);
}
/* A byte[] is a malloc'd block with its length in front; freed by the log call. */
static jbyteArray JNICALL new_byte_array(JNIEnv* env, jsize length) {
  (void)env;
  REQUIRE(!pending_exception, "a JNI call with an exception pending");
  jsize* array = malloc(sizeof(jsize) + (size_t)length);
  *array = length;
  return (jbyteArray)array;
}
static void JNICALL set_byte_array_region(JNIEnv* env, jbyteArray array, jsize start, jsize length, const jbyte* bytes) {
  (void)env;
  jsize* header = (jsize*)array;
  REQUIRE(start >= 0 && start + length <= *header, "byte[] region %d+%d of %d", start, length, *header);
  memcpy((char*)(header + 1) + start, bytes, (size_t)length);
}
static void JNICALL call_static_void_method(JNIEnv* env, jclass cls, jmethodID method, ...) {
  (void)env;
  (void)cls;
  REQUIRE(method == (jmethodID)&log_id, "unknown void method");
  va_list args;
  va_start(args, method);
  (void)va_arg(args, jint);
  jbyteArray bytes = va_arg(args, jbyteArray);
  va_end(args);
  free(bytes);
  __atomic_add_fetch(&logged_lines, 1, __ATOMIC_RELAXED);
}

static const struct JNINativeInterface_ fake_functions = {
    .GetJavaVM = get_java_vm,
    .FindClass = find_class,
    .GetStaticMethodID = get_static_method_id,
    .NewGlobalRef = new_global_ref,
    .DeleteGlobalRef = delete_global_ref,
    .DeleteLocalRef = delete_local_ref,
    .ExceptionCheck = exception_check,
    .ExceptionClear = exception_clear,
    .NewDirectByteBuffer = new_direct_byte_buffer,
    .CallStaticIntMethod = call_static_int_method,
    .NewByteArray = new_byte_array,
    .SetByteArrayRegion = set_byte_array_region,
    .CallStaticVoidMethod = call_static_void_method,
};
static JNIEnv fake_env = &fake_functions;

static jint JNICALL vm_get_env(JavaVM* vm, void** env, jint version) {
  (void)vm;
  (void)version;
  *env = &fake_env;
  return JNI_OK;
}
static jint JNICALL vm_attach(JavaVM* vm, void** env, void* args) {
  (void)args;
  return vm_get_env(vm, env, 0);
}

/* --- the test ------------------------------------------------------------------------ */

/* Waits up to 10 s for *counter (written on the library thread) to reach `target`. */
static void await_count(long* counter, long target, const char* what) {
  struct timespec pause = {0, 1000000};
  for (int i = 0; i < 10000; i++) {
    if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) >= target) {
      return;
    }
    nanosleep(&pause, NULL);
  }
  REQUIRE(0, "%s: %ld of %ld", what, *counter, target);
}

int main(void) {
  fake_vm = &fake_invoke;
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "otc_init");
  rc_jni_init(&fake_env, NULL);
  REQUIRE(rc_jni_status() == 0, "rc_jni_init: %d", rc_jni_status());
  rc_set_log_level(OTC_LOG_LEVEL_ALL);

  /* 1. A burst: few upcalls, every event once, in order (checked by the fake roster). */
  otc_session* session = rc_session_new(7, "key", "room", NULL);
  REQUIRE(session, "rc_session_new");
  REQUIRE(otc_session_test_inject_connection_events(session, 3000) == OTC_SUCCESS, "inject");
  await_count(&dropped_events, 3000, "dropped events");
  REQUIRE(created_events == 3000 && roster_size == 0, "created %ld, roster %d", created_events, roster_size);
  REQUIRE(batch_calls <= 12, "%ld upcalls for 6000 events", batch_calls);
  REQUIRE(rc_pending_events() == 0, "pending %lld", (long long)rc_pending_events());

  /* 2. Java refuses whole batches (throws) until the second session's pair comes: the first
   * session's 2000 refused pairs cancel out, the second's is told; nothing twice. */
  otc_session* second = rc_session_new(8, "key", "other", NULL);
  REQUIRE(second, "second session");
  long created = created_events, dropped = dropped_events;
  throw_until_other = 1;
  REQUIRE(otc_session_test_inject_connection_events(session, 2000) == OTC_SUCCESS, "inject");
  REQUIRE(otc_session_test_inject_connection_events(second, 1) == OTC_SUCCESS, "inject");
  await_count(&dropped_events, dropped + 1, "the second session's pair");
  REQUIRE(created_events == created + 1 && dropped_events == dropped + 1 && roster_size == 0,
          "created %ld, dropped %ld, roster %d", created_events - created, dropped_events - dropped, roster_size);
  REQUIRE(rc_pending_events() == 0 && rc_refused_event_count() > 0, "pending %lld, refused %lld",
          (long long)rc_pending_events(), (long long)rc_refused_event_count());

  /* 3. Java takes one record and refuses the rest: the refused pairs cancel out, the dropped
   * record of the taken one comes next time, before the newer events. */
  created = created_events;
  dropped = dropped_events;
  refuse_after = 1;
  REQUIRE(otc_session_test_inject_connection_events(session, 10) == OTC_SUCCESS, "inject");
  await_count(&created_events, created + 1, "the first record");
  REQUIRE(otc_session_test_inject_connection_events(session, 1) == OTC_SUCCESS, "inject");
  await_count(&dropped_events, dropped + 2, "the refused rest");
  REQUIRE(created_events == created + 2 && roster_size == 0, "created %ld, roster %d",
          created_events - created, roster_size);

  /* 4. No direct buffer (out of memory in NewDirectByteBuffer): kept, then delivered. */
  fail_direct_buffers = 1;
  /* A big record makes the buffer grow past 1 MiB (a new direct buffer is needed; the memory is
   * given back once Java took it). */
  size_t big_length = 1500000;
  char* big = malloc(big_length + 1);
  memset(big, 'x', big_length);
  big[big_length] = '\0';
  rc_test_post_created(8, "big", big); /* a batch of its own: refused, then dropped with it */
  fail_direct_buffers = 0;
  rc_test_post_created(8, "big", big);
  int found = roster_find("big");
  REQUIRE(found >= 0, "the big record never arrived");
  free(roster[found]);
  roster[found] = roster[--roster_size];
  free(big);

  /* 5. A failed connect: an error record, sent at once. */
  otc_session_settings* settings = otc_session_settings_new();
  REQUIRE(otc_session_settings_set_server_url(settings, "ws://127.0.0.1:9/v1/ws") == OTC_SUCCESS, "url");
  otc_session* failing = rc_session_new(7, "key", "refused", settings);
  otc_session_settings_delete(settings);
  REQUIRE(failing && otc_session_connect(failing, "token") == OTC_SUCCESS, "connect");
  await_count(&error_events, 1, "the error of a refused connect");

  REQUIRE(otc_session_delete(failing) == OTC_SUCCESS, "delete");
  REQUIRE(otc_session_delete(second) == OTC_SUCCESS, "delete");
  REQUIRE(otc_session_delete(session) == OTC_SUCCESS, "delete");
  otc_destroy();
  printf("core under ASan: %ld created, %ld dropped, %ld errors in %ld upcalls; refused %lld; %ld log lines\n",
         created_events, dropped_events, error_events, batch_calls, (long long)rc_refused_event_count(),
         logged_lines);
  return 0;
}
