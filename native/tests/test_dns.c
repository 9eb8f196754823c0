/* A resolver that takes 3 s (this program's own getaddrinfo, which libuv's
 * thread pool calls instead of libc's) must not stall other sessions: name
 * lookups run off the library thread. Before, the library thread sat in
 * getaddrinfo and every session's heartbeats stopped (the server dropped
 * them for silence). */

#include "support.h"

#include <dlfcn.h>
#include <netdb.h>
#include <string.h>

#define SLOW_HOST "slow.rollcall.test"

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                struct addrinfo** result) {
  typedef int (*real_t)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  real_t real = (real_t)dlsym(RTLD_NEXT, "getaddrinfo");
  if (node && strcmp(node, SLOW_HOST) == 0) {
    sleep_ms(3000);
    node = "127.0.0.1";
  }
  return real(node, service, hints, result);
}

int main(void) {
  struct server server;
  server_start(&server, 0, fast_server_args);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct recorder ra;
  recorder_init(&ra);
  otc_session* a = connect_client(&server, &ra, "dns-room", "a");

  struct recorder rb;
  recorder_init(&rb);
  otc_session_settings* settings = fast_settings(&server);
  char url[96];
  snprintf(url, sizeof url, "ws://%s:%d/v1/ws", SLOW_HOST, server.port);
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "url");
  struct otc_session_callbacks callbacks = recorder_callbacks(&rb);
  otc_session* b = otc_session_new_with_settings(TEST_API_KEY, "dns-room", &callbacks, settings);
  otc_session_settings_delete(settings);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, "dns-room", "b", 3600);
  int64_t start = now_ms();
  REQUIRE(b && otc_session_connect(b, token) == OTC_SUCCESS, "connect b");
  free(token);

  /* Meanwhile A's loop keeps running: an injected event pair on an idle
   * session comes back at once, and A keeps its socket. */
  struct recorder ri;
  recorder_init(&ri);
  struct otc_session_callbacks idle_callbacks = recorder_callbacks(&ri);
  otc_session* idle = otc_session_new(TEST_API_KEY, "dns-idle", &idle_callbacks);
  sleep_ms(200);
  int64_t flush_start = now_ms();
  flush_callbacks(idle, &ri);
  int64_t flush_ms = now_ms() - flush_start;
  REQUIRE(flush_ms < 1000, "the library thread was blocked for %lld ms", (long long)flush_ms);

  REQUIRE(recorder_wait(&rb, EV_CONNECTED, NULL, 1, 15000), "b connected after the slow lookup");
  int64_t lookup_ms = now_ms() - start;
  REQUIRE(lookup_ms >= 2900, "b connected after %lld ms: the lookup was not slow",
          (long long)lookup_ms);
  REQUIRE(recorder_wait(&ra, EV_CREATED, NULL, 1, 10000), "a saw b");
  REQUIRE(recorder_count(&ra, EV_RECONNECTING, NULL) == 0, "a lost its socket during the lookup");
  printf("slow getaddrinfo: b connected after %lld ms; the loop answered in %lld ms; "
         "a undisturbed\n", (long long)lookup_ms, (long long)flush_ms);

  REQUIRE(otc_session_delete(b) == OTC_SUCCESS, "delete b");
  REQUIRE(otc_session_delete(a) == OTC_SUCCESS, "delete a");
  REQUIRE(otc_session_delete(idle) == OTC_SUCCESS, "delete idle");
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");
  server_stop(&server);
  recorder_free(&ra);
  recorder_free(&rb);
  recorder_free(&ri);
  printf("dns tests passed\n");
  return 0;
}
