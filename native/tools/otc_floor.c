/*
 * otc-floor: the physical floor under Rollcall's figures. One writer thread
 * writes frames of a given size to N loopback TCP sockets as fast as the
 * kernel takes them; one reader thread drains the other ends with epoll. No
 * JSON, no WebSocket parsing, no session logic: what is left is the kernel's
 * cost of moving the same bytes, which no server can beat on this machine.
 *
 *   otc-floor --sockets N --frame-bytes B [--frames F] [--rounds R]
 *             [--batch K] [--modes unbatched|batched|both]
 *             [--writer-cpu C] [--reader-cpu C]
 *
 * Prints one JSON line per measurement on stdout:
 *   storm: F frames in all, round-robin over the sockets, written one write()
 *          per frame ("unbatched") and K frames per write() ("batched"):
 *          time from the first write until the reader has every byte;
 *   fanout: R rounds of one frame to each socket (a lone event to N
 *          members): per round, time until the reader has all N frames;
 *          and the writer thread's CPU per write (user and kernel), which is
 *          the floor under a server's CPU per member frame. On loopback the
 *          writer's kernel time includes the receiving socket's TCP input and
 *          the reader's wake-up, as it does for a server writing to local
 *          clients.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sockets = 100, frame_bytes = 128, batch = 64, rounds = 200;
static long long frames = -1; /* storm frames in all; default N(N-1)/2, 0 for no storm */
static int writer_cpu = -1, reader_cpu = -1;
static const char* modes = "both"; /* storm modes: unbatched, batched or both */

static int* write_fds;
static int* read_fds;

/* The reader's progress; the writer waits on it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long long bytes_read, bytes_wanted;
static int64_t reached_ns;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "otc-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void pin(int cpu) {
  if (cpu < 0) {
    return;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    fprintf(stderr, "otc-floor: cannot pin to CPU %d\n", cpu);
  }
}

/* N connected pairs over 127.0.0.1, as the server's accepted sockets and
 * the clients' sockets would be. */
static void open_pairs(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0 ||
      listen(listener, 4096) < 0 || getsockname(listener, (struct sockaddr*)&addr, &len) < 0) {
    die("listen");
  }
  write_fds = calloc((size_t)sockets, sizeof *write_fds);
  read_fds = calloc((size_t)sockets, sizeof *read_fds);
  int one = 1;
  for (int i = 0; i < sockets; i++) {
    read_fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (read_fds[i] < 0 || connect(read_fds[i], (struct sockaddr*)&addr, sizeof addr) < 0) {
      die("connect");
    }
    write_fds[i] = accept(listener, NULL, NULL);
    if (write_fds[i] < 0) {
      die("accept");
    }
    /* Like the server: no Nagle, so a lone frame goes out at once. */
    setsockopt(write_fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  close(listener);
}

static void* reader(void* unused) {
  (void)unused;
  pin(reader_cpu);
  int ep = epoll_create1(0);
  for (int i = 0; i < sockets; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = read_fds[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, read_fds[i], &ev) < 0) {
      die("epoll_ctl");
    }
  }
  static char buffer[1 << 16];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    long long got = 0;
    for (int i = 0; i < n; i++) {
      ssize_t r = read(events[i].data.fd, buffer, sizeof buffer);
      if (r > 0) {
        got += r;
      } else if (r == 0) {
        return NULL; /* the writer closed: done */
      }
    }
    if (got) {
      pthread_mutex_lock(&lock);
      bytes_read += got;
      if (bytes_read >= bytes_wanted && reached_ns == 0) {
        reached_ns = now_ns();
        pthread_cond_signal(&changed);
      }
      pthread_mutex_unlock(&lock);
    }
  }
}

/* Sets the byte count to wait for (counted from the start) before writing. */
static void expect_bytes(long long more) {
  pthread_mutex_lock(&lock);
  bytes_wanted = bytes_read + more;
  reached_ns = 0;
  pthread_mutex_unlock(&lock);
}

static int64_t await_bytes(void) {
  pthread_mutex_lock(&lock);
  while (reached_ns == 0) {
    pthread_cond_wait(&changed, &lock);
  }
  int64_t t = reached_ns;
  pthread_mutex_unlock(&lock);
  return t;
}

static void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t w = write(fd, data, size);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      die("write");
    }
    data += w;
    size -= (size_t)w;
  }
}

/* F frames round-robin over the sockets, `per_write` frames per write(). */
static void storm(const char* mode, int per_write, const char* frames_buffer) {
  expect_bytes(frames * frame_bytes);
  int64_t start = now_ns();
  long long left = frames;
  while (left > 0) {
    for (int i = 0; i < sockets && left > 0; i++) {
      long long n = left < per_write ? left : per_write;
      write_all(write_fds[i], frames_buffer, (size_t)(n * frame_bytes));
      left -= n;
    }
  }
  int64_t end = await_bytes();
  double seconds = (double)(end - start) / 1e9;
  printf("{\"type\":\"storm\",\"mode\":\"%s\",\"sockets\":%d,\"frame_bytes\":%d,\"frames\":%lld,"
         "\"frames_per_write\":%d,\"elapsed_ns\":%" PRId64 ",\"frames_per_second\":%.0f,"
         "\"bytes_per_second\":%.0f}\n",
         mode, sockets, frame_bytes, frames, per_write, end - start, frames / seconds,
         frames * (double)frame_bytes / seconds);
  fflush(stdout);
}

static int compare_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* This thread's CPU time, ns: exact, from the scheduler. */
static int64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* This thread's {user, kernel} CPU time, ns (the split is sampled at the tick). */
static void thread_rusage_ns(int64_t split[2]) {
  struct rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  split[0] = (int64_t)usage.ru_utime.tv_sec * 1000000000 + usage.ru_utime.tv_usec * 1000;
  split[1] = (int64_t)usage.ru_stime.tv_sec * 1000000000 + usage.ru_stime.tv_usec * 1000;
}

/* A lone event to every member: one frame per socket, one write each. The
 * writer's CPU is counted over the writes only, not while it waits. */
static void fanout(const char* frame) {
  int64_t* times = calloc((size_t)rounds, sizeof *times);
  int64_t cpu_ns = 0, split_ns[2] = {0, 0};
  for (int r = 0; r < rounds; r++) {
    expect_bytes((long long)sockets * frame_bytes);
    int64_t start = now_ns();
    int64_t cpu_before = thread_cpu_ns(), split_before[2], split_after[2];
    thread_rusage_ns(split_before);
    for (int i = 0; i < sockets; i++) {
      write_all(write_fds[i], frame, (size_t)frame_bytes);
    }
    cpu_ns += thread_cpu_ns() - cpu_before;
    thread_rusage_ns(split_after);
    split_ns[0] += split_after[0] - split_before[0];
    split_ns[1] += split_after[1] - split_before[1];
    times[r] = await_bytes() - start;
  }
  double writes = (double)rounds * sockets;
  double split_total = (double)(split_ns[0] + split_ns[1]);
  qsort(times, (size_t)rounds, sizeof *times, compare_i64);
  printf("{\"type\":\"fanout\",\"sockets\":%d,\"frame_bytes\":%d,\"rounds\":%d,"
         "\"p50_ns\":%" PRId64 ",\"p95_ns\":%" PRId64 ",\"p99_ns\":%" PRId64 ",\"max_ns\":%" PRId64 ","
         "\"writer_cpu_ns_per_write\":%.1f,\"writer_kernel_share\":%.3f}\n",
         sockets, frame_bytes, rounds, times[rounds / 2], times[rounds * 95 / 100],
         times[rounds * 99 / 100], times[rounds - 1], cpu_ns / writes,
         split_total > 0 ? split_ns[1] / split_total : 0.0);
  fflush(stdout);
  free(times);
}

static int int_arg(const char* name, const char* value, int min) {
  char* end;
  long v = strtol(value, &end, 10);
  if (*end || v < min) {
    fprintf(stderr, "otc-floor: %s must be an integer >= %d\n", name, min);
    exit(1);
  }
  return (int)v;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(a, "--help") == 0) {
      puts("otc-floor --sockets N --frame-bytes B [--frames F] [--rounds R] [--batch K]\n"
           "          [--modes unbatched|batched|both] [--writer-cpu C] [--reader-cpu C]\n"
           "(see the header of native/tools/otc_floor.c)");
      return 0;
    } else if (strcmp(a, "--sockets") == 0) {
      sockets = int_arg(a, v, 1);
    } else if (strcmp(a, "--frame-bytes") == 0) {
      frame_bytes = int_arg(a, v, 1);
    } else if (strcmp(a, "--frames") == 0) {
      frames = int_arg(a, v, 0);
    } else if (strcmp(a, "--rounds") == 0) {
      rounds = int_arg(a, v, 0);
    } else if (strcmp(a, "--batch") == 0) {
      batch = int_arg(a, v, 1);
    } else if (strcmp(a, "--modes") == 0) {
      modes = v;
    } else if (strcmp(a, "--writer-cpu") == 0) {
      writer_cpu = int_arg(a, v, -1);
    } else if (strcmp(a, "--reader-cpu") == 0) {
      reader_cpu = int_arg(a, v, -1);
    } else {
      fprintf(stderr, "otc-floor: unknown argument %s\n", a);
      return 1;
    }
    i++;
  }
  if (frames < 0) {
    frames = (long long)sockets * (sockets - 1) / 2;
  }
  /* A frame: bytes that look like an events frame's tail; the content does not matter. */
  char* buffer = malloc((size_t)batch * (size_t)frame_bytes);
  memset(buffer, 'x', (size_t)batch * (size_t)frame_bytes);
  pin(writer_cpu);
  open_pairs();
  pthread_t thread;
  if (pthread_create(&thread, NULL, reader, NULL) != 0) {
    die("pthread_create");
  }
  if (frames > 0 && strcmp(modes, "batched") != 0) {
    storm("unbatched", 1, buffer);
  }
  if (frames > 0 && strcmp(modes, "unbatched") != 0) {
    storm("batched", batch, buffer);
  }
  if (rounds > 0) {
    fanout(buffer);
  }
  for (int i = 0; i < sockets; i++) {
    close(write_fds[i]);
  }
  pthread_join(thread, NULL);
  return 0;
}
