/* Host names are resolved on a resolver thread, never on the library thread:
 * libwebsockets (Debian's is built without async DNS) would call getaddrinfo
 * on the one thread that runs every session, so a slow resolver stalled
 * every session's heartbeats and callbacks. The engine connects to the
 * numeric address that comes back (CMD_RESOLVED), with the host name kept for
 * the Host header, SNI and the certificate check. One thread, one job at a
 * time, and a short cache so that thousands of sessions reconnecting to one
 * host resolve it once. */

#include "internal.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How long a resolved address is reused. */
#define CACHE_SECONDS 10

struct resolve_job {
  struct resolve_job* next;
  otc_session* handle;
  uint32_t attempt;
  char* host;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct resolve_job* head; /* lock */
static struct resolve_job* tail; /* lock */
static bool running;             /* lock: the thread exists */
static bool stopping;            /* lock */
static pthread_t thread;

/* Resolver thread only. */
static char cached_host[256];
static char cached_address[INET6_ADDRSTRLEN];
static time_t cached_at;

bool resolve_is_numeric(const char* host) {
  unsigned char scratch[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host, scratch) == 1 || inet_pton(AF_INET6, host, scratch) == 1;
}

/* The first address of `host`, as text, or false. */
static bool lookup(const char* host, char* address, size_t size) {
  time_t now = time(NULL);
  if (cached_at && now - cached_at < CACHE_SECONDS && strcmp(host, cached_host) == 0) {
    strcpy(address, cached_address);
    return true;
  }
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = NULL;
  if (getaddrinfo(host, NULL, &hints, &found) != 0 || !found) {
    return false;
  }
  const void* raw = found->ai_family == AF_INET
                        ? (const void*)&((struct sockaddr_in*)found->ai_addr)->sin_addr
                        : (const void*)&((struct sockaddr_in6*)found->ai_addr)->sin6_addr;
  bool ok = inet_ntop(found->ai_family, raw, address, (socklen_t)size) != NULL;
  freeaddrinfo(found);
  if (ok && strlen(host) < sizeof cached_host) {
    strcpy(cached_host, host);
    strcpy(cached_address, address);
    cached_at = now;
  }
  return ok;
}

/* Hands the answer to the library thread, unless the session is gone. */
static void answer(struct resolve_job* job, const char* address) {
  struct command* command = command_new(CMD_RESOLVED, NULL);
  char* copy = address ? otc_strdup(address) : NULL;
  pthread_mutex_lock(&otc_g.lock);
  struct session* s = handle_resolve(job->handle);
  if (s && command && (copy || !address)) {
    command->session = s;
    command->token = copy;
    command->count = (int)job->attempt;
    post_command_locked(command);
    command = NULL;
    copy = NULL;
  }
  pthread_mutex_unlock(&otc_g.lock);
  free(copy);
  free(command);
  /* Out of memory: the session's handshake timeout starts it over. */
}

static void* resolver_main(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (!head && !stopping) {
      pthread_cond_wait(&work, &lock);
    }
    if (stopping) {
      break;
    }
    struct resolve_job* job = head;
    head = job->next;
    if (!head) {
      tail = NULL;
    }
    pthread_mutex_unlock(&lock);
    char address[INET6_ADDRSTRLEN];
    bool found = lookup(job->host, address, sizeof address);
    answer(job, found ? address : NULL);
    free(job->host);
    free(job);
    pthread_mutex_lock(&lock);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

bool resolve_request(struct session* s) {
  struct resolve_job* job = otc_calloc(1, sizeof *job);
  char* host = otc_strdup(s->settings.server.host);
  if (!job || !host) {
    free(job);
    free(host);
    return false;
  }
  job->handle = s->handle;
  job->attempt = s->resolve_attempt;
  job->host = host;
  pthread_mutex_lock(&lock);
  bool ok = running || (!stopping && pthread_create(&thread, NULL, resolver_main, NULL) == 0);
  if (ok) {
    running = true;
    if (tail) {
      tail->next = job;
    } else {
      head = job;
    }
    tail = job;
    pthread_cond_signal(&work);
  }
  pthread_mutex_unlock(&lock);
  if (!ok) {
    free(job->host);
    free(job);
  }
  return ok;
}

void resolve_stop(void) {
  pthread_mutex_lock(&lock);
  bool was_running = running;
  stopping = true;
  pthread_cond_signal(&work);
  pthread_mutex_unlock(&lock);
  if (was_running) {
    pthread_join(thread, NULL); /* waits for a lookup in progress */
  }
  pthread_mutex_lock(&lock);
  while (head) {
    struct resolve_job* job = head;
    head = job->next;
    free(job->host);
    free(job);
  }
  tail = NULL;
  running = false; /* `stopping` stays: no lookup until resolve_allow() */
  pthread_mutex_unlock(&lock);
}

void resolve_allow(void) {
  pthread_mutex_lock(&lock);
  stopping = false;
  pthread_mutex_unlock(&lock);
}
