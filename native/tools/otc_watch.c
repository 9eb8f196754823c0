/* otc-watch: connects to a Rollcall session and prints its connection events
 * the way the OpenTok docs' example does. Stdout carries only the event lines
 * (other programs parse them); notes and errors go to stderr. */

#define _POSIX_C_SOURCE 200809L

#include <otc/otc.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum exit_code {
  EXIT_CLEAN = 0,        /* stopped by SIGINT/SIGTERM, or --help */
  EXIT_USAGE = 1,        /* bad command line */
  EXIT_CONNECT_FAILED = 2,   /* could not connect: refused, bad token, ... */
  EXIT_DISCONNECTED = 3  /* the session ended without being asked to */
};

static const char usage[] =
    "Usage: otc-watch --url URL --api-key KEY --session ID --token TOKEN\n"
    "                 [--suppress] [--quiet] [--ids] [--help]\n"
    "\n"
    "Connects to a Rollcall session and prints its connection events:\n"
    "  You have connected to the session.\n"
    "  Another client connected. N total.\n"
    "  A client disconnected. N total. (reason)\n"
    "N counts every connection in the session, this one included.\n"
    "Stdout has only these lines (line-buffered); notes go to stderr.\n"
    "\n"
    "  --url URL        server WebSocket URL, e.g. ws://127.0.0.1:8080/v1/ws\n"
    "  --api-key KEY    the app's API key\n"
    "  --session ID     the session ID\n"
    "  --token TOKEN    a token for that session (rc1....)\n"
    "  --suppress       ask for no connection events (connectionEventsSuppressed)\n"
    "  --quiet          no notes on stderr (reconnections, library log)\n"
    "  --ids            end each line with the connection's ID, \" [ID]\" (this\n"
    "                   client's own on the first line), for checks by identity;\n"
    "                   also prints \"You have reconnected to the session. [ID]\"\n"
    "  --help           this text\n"
    "\n"
    "SIGINT or SIGTERM disconnects cleanly (close frame) and exits.\n"
    "Exit codes:\n"
    "  0  stopped by SIGINT/SIGTERM (or --help)\n"
    "  1  usage error\n"
    "  2  could not connect (refused, unreachable, bad token, bad session)\n"
    "  3  disconnected without being asked (forced out, gave up reconnecting,\n"
    "     server error)\n";

struct options {
  const char* url;
  const char* api_key;
  const char* session_id;
  const char* token;
  bool suppress;
  bool quiet;
  bool ids;
};

/* Written by the signal handler and the library thread, read by main. */
static int wake_pipe[2];
static atomic_int total = 1; /* connections in the session, this one included */
static atomic_bool quiet;
static atomic_bool ids;
static atomic_bool connected;

static void wake(char what) {
  ssize_t ignored = write(wake_pipe[1], &what, 1);
  (void)ignored;
}

static void on_signal(int signal_number) {
  (void)signal_number;
  wake('S');
}

static void note(const char* text) {
  if (!atomic_load(&quiet)) {
    fprintf(stderr, "%s\n", text);
  }
}

/* " [ID]" with --ids, else nothing. */
static const char* id_suffix(char* out, size_t size, const otc_connection* connection) {
  out[0] = '\0';
  if (atomic_load(&ids) && connection) {
    snprintf(out, size, " [%s]", otc_connection_get_id(connection));
  }
  return out;
}

static void on_connected(otc_session* session, void* user_data) {
  (void)user_data;
  char id[128];
  atomic_store(&connected, true);
  printf("You have connected to the session.%s\n",
         id_suffix(id, sizeof id, otc_session_get_connection(session)));
}

static void on_connection_created(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  (void)session;
  (void)user_data;
  char id[128];
  printf("Another client connected. %d total.%s\n", atomic_fetch_add(&total, 1) + 1,
         id_suffix(id, sizeof id, connection));
}

static void on_connection_dropped(otc_session* session, void* user_data,
                                  const otc_connection* connection) {
  (void)session;
  (void)user_data;
  char id[128];
  printf("A client disconnected. %d total. (%s)%s\n", atomic_fetch_sub(&total, 1) - 1,
         otc_connection_drop_reason_string(otc_connection_get_drop_reason(connection)),
         id_suffix(id, sizeof id, connection));
}

static void on_reconnection_started(otc_session* session, void* user_data) {
  (void)session;
  (void)user_data;
  note("Reconnecting to the session.");
}

static void on_reconnected(otc_session* session, void* user_data) {
  (void)user_data;
  if (atomic_load(&ids)) {
    /* The own ID changes when the server had forgotten the connection (a restart): say which,
     * so that an observer of these lines knows who it is now. */
    char id[128];
    printf("You have reconnected to the session.%s\n",
           id_suffix(id, sizeof id, otc_session_get_connection(session)));
  }
  note("Reconnected to the session.");
}

static void on_disconnected(otc_session* session, void* user_data) {
  (void)user_data;
  const otc_connection* self = otc_session_get_connection(session);
  enum otc_connection_drop_reason reason = otc_connection_get_drop_reason(self);
  if (reason != OTC_CONNECTION_DROP_REASON_NONE) {
    fprintf(stderr, "Disconnected from the session (%s).\n",
            otc_connection_drop_reason_string(reason));
  } else {
    note("Disconnected from the session.");
  }
  wake('D');
}

static void on_error(otc_session* session, void* user_data, const char* error_string,
                     enum otc_session_error_code error) {
  (void)session;
  (void)user_data;
  fprintf(stderr, "Session error %d: %s\n", (int)error, error_string);
  if (!atomic_load(&connected)) {
    wake('E'); /* a failed first attempt ends with on_error alone */
  }
}

static int parse_options(int argc, char** argv, struct options* options) {
  static const struct option long_options[] = {
      {"url", required_argument, NULL, 'u'},
      {"api-key", required_argument, NULL, 'k'},
      {"session", required_argument, NULL, 's'},
      {"token", required_argument, NULL, 't'},
      {"suppress", no_argument, NULL, 'S'},
      {"quiet", no_argument, NULL, 'q'},
      {"ids", no_argument, NULL, 'i'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int option;
  while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (option) {
      case 'u': options->url = optarg; break;
      case 'k': options->api_key = optarg; break;
      case 's': options->session_id = optarg; break;
      case 't': options->token = optarg; break;
      case 'S': options->suppress = true; break;
      case 'q': options->quiet = true; break;
      case 'i': options->ids = true; break;
      case 'h': fputs(usage, stdout); return EXIT_CLEAN;
      default: fputs(usage, stderr); return EXIT_USAGE;
    }
  }
  if (optind != argc || !options->url || !options->api_key || !options->session_id ||
      !options->token) {
    fprintf(stderr, "otc-watch: --url, --api-key, --session and --token are required\n\n%s",
            usage);
    return EXIT_USAGE;
  }
  return -1;
}

/* Waits for a byte on the wake pipe; 0 on timeout. */
static char wait_for_wake(int timeout_ms) {
  struct pollfd fd = {.fd = wake_pipe[0], .events = POLLIN};
  for (;;) {
    int ready = poll(&fd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    char what = 0;
    if (ready > 0 && read(wake_pipe[0], &what, 1) == 1) {
      return what;
    }
    return 0;
  }
}

static void install_signal_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static otc_session* new_session(const struct options* options) {
  otc_session_settings* settings = otc_session_settings_new();
  if (!settings) {
    return NULL;
  }
  if (otc_session_settings_set_server_url(settings, options->url) != OTC_SUCCESS) {
    fprintf(stderr, "otc-watch: cannot parse --url %s\n", options->url);
    otc_session_settings_delete(settings);
    return NULL;
  }
  otc_session_settings_set_connection_events_suppressed(settings, options->suppress);
  struct otc_session_callbacks callbacks = {
      .on_connected = on_connected,
      .on_reconnection_started = on_reconnection_started,
      .on_reconnected = on_reconnected,
      .on_disconnected = on_disconnected,
      .on_connection_created = on_connection_created,
      .on_connection_dropped = on_connection_dropped,
      .on_error = on_error,
  };
  otc_session* session = otc_session_new_with_settings(
      options->api_key, options->session_id, &callbacks, settings);
  otc_session_settings_delete(settings);
  return session;
}

/* Runs until a signal or the end of the session; returns the exit code. */
static int watch(otc_session* session, const struct options* options) {
  if (otc_session_connect(session, options->token) != OTC_SUCCESS) {
    return EXIT_CONNECT_FAILED;
  }
  switch (wait_for_wake(-1)) {
    case 'E':
      return EXIT_CONNECT_FAILED;
    case 'D':
      return EXIT_DISCONNECTED;
    default: /* 'S': a signal */
      if (otc_session_disconnect(session) == OTC_SUCCESS) {
        while (wait_for_wake(3000) == 'S') {
        }
      }
      return EXIT_CLEAN;
  }
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct options options = {0};
  int parsed = parse_options(argc, argv, &options);
  if (parsed >= 0) {
    return parsed;
  }
  atomic_store(&quiet, options.quiet);
  atomic_store(&ids, options.ids);
  if (pipe(wake_pipe) != 0) {
    perror("otc-watch: pipe");
    return EXIT_CONNECT_FAILED;
  }
  install_signal_handlers();
  otc_log_enable(options.quiet ? OTC_LOG_LEVEL_DISABLED : OTC_LOG_LEVEL_WARN);
  if (otc_init(NULL) != OTC_SUCCESS) {
    fprintf(stderr, "otc-watch: otc_init failed\n");
    return EXIT_CONNECT_FAILED;
  }
  otc_session* session = new_session(&options);
  int code = session ? watch(session, &options) : EXIT_USAGE;
  otc_session_delete(session);
  otc_destroy();
  return code;
}
