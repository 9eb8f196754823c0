/* otc-transport-bench: libotc's own cost, for issue 11's targets (docs/libotc.md
 * "Measured"). Empty callbacks (one atomic add), so the figures are libotc's
 * and the kernel's, not a checker's.
 *
 *   idle N:  N sessions, each in a session of its own, connect; after 5 s the
 *            resident memory per session (from before the sessions existed)
 *            and the process's CPU over 20 s, in % of one core.
 *   storm N: N sessions join one session at once; the process's CPU
 *            (getrusage, user + system) per delivered connectionCreated,
 *            connects included.
 *
 * Tokens are minted here (HMAC-SHA256, protocol.md "Tokens") from the app's
 * secret. Run it on its own core, the server on another (taskset). */

#define _GNU_SOURCE
#include <otc/otc.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* How fast idle sessions connect (a multiple of 10). */
#define IDLE_CONNECTS_PER_S 2000

static long connected_count;
static long created_count;
static long lost_count;
static long error_count;

static void on_connected(otc_session* s, void* u) {
  (void)s, (void)u;
  __atomic_add_fetch(&connected_count, 1, __ATOMIC_RELAXED);
}
static void on_created(otc_session* s, void* u, const otc_connection* c) {
  (void)s, (void)u, (void)c;
  __atomic_add_fetch(&created_count, 1, __ATOMIC_RELAXED);
}
static void on_lost(otc_session* s, void* u) {
  (void)s, (void)u;
  __atomic_add_fetch(&lost_count, 1, __ATOMIC_RELAXED);
}
static void on_error(otc_session* s, void* u, const char* message, enum otc_session_error_code code) {
  (void)s, (void)u, (void)message, (void)code;
  __atomic_add_fetch(&error_count, 1, __ATOMIC_RELAXED);
}

static void base64url(const unsigned char* data, size_t length, char* out) {
  int n = EVP_EncodeBlock((unsigned char*)out, data, (int)length);
  while (n > 0 && out[n - 1] == '=') {
    n--;
  }
  out[n] = '\0';
  for (char* p = out; *p; p++) {
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  }
}

static char* mint(const char* key, const char* secret, const char* session, int index) {
  unsigned char nonce[12];
  char nonce_text[24], payload[512], encoded[800], signed_part[820], mac_text[64];
  RAND_bytes(nonce, sizeof nonce);
  base64url(nonce, sizeof nonce, nonce_text);
  long now = (long)time(NULL);
  snprintf(payload, sizeof payload,
           "{\"apiKey\":\"%s\",\"sessionId\":\"%s\",\"role\":\"publisher\",\"iat\":%ld,"
           "\"exp\":%ld,\"nonce\":\"%s\",\"data\":\"c%d\"}",
           key, session, now, now + 86400, nonce_text, index);
  base64url((const unsigned char*)payload, strlen(payload), encoded);
  snprintf(signed_part, sizeof signed_part, "rc1.%s", encoded);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char*)signed_part,
       strlen(signed_part), mac, &mac_length);
  base64url(mac, mac_length, mac_text);
  char* token = NULL;
  if (asprintf(&token, "%s.%s", signed_part, mac_text) < 0) {
    exit(1);
  }
  return token;
}

static long rss_kb(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = atol(line + 6);
    }
  }
  if (f) {
    fclose(f);
  }
  return kb;
}

static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long load(long* counter) {
  return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

int main(int argc, char** argv) {
  if (argc != 7 || (strcmp(argv[1], "idle") != 0 && strcmp(argv[1], "storm") != 0)) {
    fprintf(stderr, "usage: otc-transport-bench idle|storm N URL API_KEY SECRET RUN_NAME\n");
    return 1;
  }
  bool idle = strcmp(argv[1], "idle") == 0;
  int n = atoi(argv[2]);
  const char *url = argv[3], *key = argv[4], *secret = argv[5], *run = argv[6];
  char** tokens = calloc((size_t)n, sizeof *tokens);
  char** sessions = calloc((size_t)n, sizeof *sessions);
  otc_session** handles = calloc((size_t)n, sizeof *handles);
  for (int i = 0; i < n; i++) {
    if (asprintf(&sessions[i], idle ? "%s-%d" : "%s", run, i) < 0) {
      return 1;
    }
    tokens[i] = mint(key, secret, sessions[i], i);
  }
  /* As the other tools: a write to a socket the server reset raises SIGPIPE, which libotc does
   * not block on its thread, and would end the run (seen in a storm on a loaded machine). */
  signal(SIGPIPE, SIG_IGN);
  otc_init(NULL);
  struct otc_session_callbacks callbacks = {.on_connected = on_connected,
                                            .on_connection_created = on_created,
                                            .on_reconnection_started = on_lost,
                                            .on_error = on_error};
  otc_session_settings* settings = otc_session_settings_new();
  otc_session_settings_set_server_url(settings, url);
  sleep(1);
  long rss_before = rss_kb();
  double cpu_before = cpu_seconds(), started = now_seconds();
  for (int i = 0; i < n; i++) {
    /* Idle sessions connect at IDLE_CONNECTS_PER_S, as an application's users arrive: 18,000
     * at once overflow the listen queue, and a first connect that times out is final (as in
     * OpenTok), so the run measured fewer sessions than it asked for. The storm connects at once. */
    if (idle && i > 0 && i % (IDLE_CONNECTS_PER_S / 10) == 0) {
      usleep(100000);
    }
    handles[i] = otc_session_new_with_settings(key, sessions[i], &callbacks, settings);
    otc_session_connect(handles[i], tokens[i]);
  }
  long wanted = idle ? n : (long)n * (n - 1);
  long* counter = idle ? &connected_count : &created_count;
  while (load(counter) + (idle ? load(&error_count) : 0) < wanted && now_seconds() - started < 300) {
    usleep(20000);
  }
  if (idle) {
    printf("idle %d: %ld connected in %.1f s; %ld failed\n", n, load(&connected_count),
           now_seconds() - started, load(&error_count));
    fflush(stdout); /* the bench's heartbeat part reads the server's CPU over the same window */
    sleep(5);
    long rss_after = rss_kb();
    double cpu0 = cpu_seconds();
    sleep(20);
    double cpu1 = cpu_seconds();
    printf("idle %d: %.0f B resident per session; %.2f %% of one core; %ld reconnections\n", n,
           (double)(rss_after - rss_before) * 1024.0 / n, (cpu1 - cpu0) * 100 / 20,
           load(&lost_count));
  } else {
    double cpu = cpu_seconds() - cpu_before;
    long events = load(&created_count);
    printf("storm %d: %ld events in %.2f s, CPU %.3f s: %.3f us per event; %ld reconnections\n",
           n, events, now_seconds() - started, cpu, cpu * 1e6 / (double)events,
           load(&lost_count));
  }
  fflush(stdout);
  _exit(0); /* the server sees the sockets close; no need to wait for clean leaves */
}
