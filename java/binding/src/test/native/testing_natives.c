/*
 * Natives of org.rollcall.TestNatives (tests and the callback-cost benchmark): libotc's test
 * hooks (<otc/testing.h>, in libotc-testing.so.0) and sessions whose connection events only
 * count, in C. Plain JNI, built by CMake (java/binding/CMakeLists.txt) into
 * libjniotc_testing.so, which ships in the binding's test-jar only.
 */
#include <jni.h>
#include <otc/otc.h>
#include <otc/testing.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

static otc_session* session_of(jlong address) {
  return (otc_session*)(intptr_t)address;
}

EXPORT jint JNICALL Java_org_rollcall_TestNatives_injectConnectionEvents(JNIEnv* env, jclass cls,
                                                                         jlong session, jint pairs) {
  (void)env;
  (void)cls;
  return otc_session_test_inject_connection_events(session_of(session), pairs);
}

EXPORT jint JNICALL Java_org_rollcall_TestNatives_dropSocket(JNIEnv* env, jclass cls, jlong session) {
  (void)env;
  (void)cls;
  return otc_session_test_drop_socket(session_of(session));
}

/* --- benchmark: connection events into C alone ------------------------------ */

/* Events counted by the callbacks below (on the library thread). The checksum keeps the
 * compiler from dropping the work that the binding's core also does (ID, data, time). */
static int64_t bench_events;
static volatile int64_t bench_checksum;

static int64_t bench_key(const char* id) {
  uint64_t hash = 14695981039346656037u;
  for (const unsigned char* p = (const unsigned char*)id; *p; p++) {
    hash = (hash ^ *p) * 1099511628211u;
  }
  return (int64_t)hash;
}

static void bench_on_created(otc_session* session, void* user_data, const otc_connection* connection) {
  (void)session;
  (void)user_data;
  bench_checksum += bench_key(otc_connection_get_id(connection)) +
                    otc_connection_get_creation_time(connection) +
                    (otc_connection_get_data(connection) != NULL);
  __atomic_add_fetch(&bench_events, 1, __ATOMIC_RELEASE);
}

static void bench_on_dropped(otc_session* session, void* user_data, const otc_connection* connection) {
  (void)session;
  (void)user_data;
  bench_checksum += bench_key(otc_connection_get_id(connection)) +
                    (int)otc_connection_get_drop_reason(connection);
  __atomic_add_fetch(&bench_events, 1, __ATOMIC_RELEASE);
}

/* A session whose connection events only count; 0 when libotc refuses. */
EXPORT jlong JNICALL Java_org_rollcall_TestNatives_benchSessionNew(JNIEnv* env, jclass cls) {
  (void)env;
  (void)cls;
  struct otc_session_callbacks callbacks = {0};
  callbacks.on_connection_created = bench_on_created;
  callbacks.on_connection_dropped = bench_on_dropped;
  return (jlong)(intptr_t)otc_session_new("bench", "bench", &callbacks);
}

EXPORT jint JNICALL Java_org_rollcall_TestNatives_sessionDelete(JNIEnv* env, jclass cls, jlong session) {
  (void)env;
  (void)cls;
  return otc_session_delete(session_of(session));
}

EXPORT jlong JNICALL Java_org_rollcall_TestNatives_benchEventCount(JNIEnv* env, jclass cls) {
  (void)env;
  (void)cls;
  return __atomic_load_n(&bench_events, __ATOMIC_ACQUIRE);
}
