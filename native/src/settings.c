#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_SERVER_URL "ws://127.0.0.1:8080/v1/ws"

/* Parses ws:// or wss://host[:port][/path] (host may be [IPv6]) into
 * `address`; the port defaults to 80 or 443. */
static bool parse_server_url(const char* url, struct server_address* address) {
  bool tls;
  if (strncmp(url, "ws://", 5) == 0) {
    tls = false;
    url += 5;
  } else if (strncmp(url, "wss://", 6) == 0) {
    tls = true;
    url += 6;
  } else {
    return false;
  }
  const char* host = url;
  const char* host_end;
  const char* rest;
  if (*host == '[') {
    host++;
    host_end = strchr(host, ']');
    if (!host_end) {
      return false;
    }
    rest = host_end + 1;
  } else {
    host_end = host + strcspn(host, ":/");
    rest = host_end;
  }
  int port = tls ? 443 : 80;
  if (*rest == ':') {
    char* digits_end;
    long parsed = strtol(rest + 1, &digits_end, 10);
    if (digits_end == rest + 1 || parsed <= 0 || parsed >= 65536) {
      return false;
    }
    port = (int)parsed;
    rest = digits_end;
  }
  if (host_end == host || (*rest != '\0' && *rest != '/')) {
    return false;
  }
  size_t host_length = (size_t)(host_end - host);
  struct server_address parsed = {
      .host = otc_malloc(host_length + 1),
      .path = otc_strdup(*rest ? rest : "/"),
      .port = port,
      .tls = tls,
  };
  if (!parsed.host || !parsed.path) {
    free(parsed.host);
    free(parsed.path);
    return false;
  }
  memcpy(parsed.host, host, host_length);
  parsed.host[host_length] = '\0';
  free(address->host);
  free(address->path);
  *address = parsed;
  return true;
}

void settings_defaults(struct otc_session_settings* settings) {
  *settings = (struct otc_session_settings){
      .heartbeat_interval_ms = 1000,
      .heartbeat_timeout_ms = 2500,
      .initial_backoff_ms = 250,
      .max_backoff_ms = 8000,
      .give_up_after_ms = 30000,
      .suppress_events = false,
  };
  parse_server_url(DEFAULT_SERVER_URL, &settings->server);
}

bool settings_copy(struct otc_session_settings* to,
                   const struct otc_session_settings* from) {
  *to = *from;
  to->server.host = from->server.host ? otc_strdup(from->server.host) : NULL;
  to->server.path = from->server.path ? otc_strdup(from->server.path) : NULL;
  if (!to->server.host || !to->server.path) {
    settings_free_fields(to);
    return false;
  }
  return true;
}

void settings_free_fields(struct otc_session_settings* settings) {
  free(settings->server.host);
  free(settings->server.path);
  settings->server.host = NULL; /* freeing twice (after a failed copy) is harmless */
  settings->server.path = NULL;
  settings->server.host = NULL;
  settings->server.path = NULL;
}

otc_session_settings* otc_session_settings_new(void) {
  otc_session_settings* settings = otc_malloc(sizeof *settings);
  if (!settings) {
    return NULL;
  }
  settings_defaults(settings);
  if (!settings->server.host) {
    free(settings);
    return NULL;
  }
  return settings;
}

otc_status otc_session_settings_delete(otc_session_settings* settings) {
  if (!settings) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings_free_fields(settings);
  free(settings);
  return OTC_SUCCESS;
}

otc_status otc_session_settings_set_connection_events_suppressed(
    otc_session_settings* settings, otc_bool suppress) {
  if (!settings) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings->suppress_events = suppress != OTC_FALSE;
  return OTC_SUCCESS;
}

otc_status otc_session_settings_set_server_url(otc_session_settings* settings,
                                               const char* url) {
  if (!settings || !url || !parse_server_url(url, &settings->server)) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings->server_set = true;
  return OTC_SUCCESS;
}

bool settings_apply_environment(struct otc_session_settings* settings) {
  const char* url = settings->server_set ? NULL : getenv("OTC_SERVER_URL");
  if (!url || url[0] == '\0') {
    return true;
  }
  if (!parse_server_url(url, &settings->server)) {
    otc_log(OTC_LOG_LEVEL_ERROR, "OTC_SERVER_URL is not a ws:// or wss:// URL: %s", url);
    return false;
  }
  return true;
}

otc_status otc_session_settings_set_batch_callbacks(otc_session_settings* settings,
                                                    otc_session_batch_callback on_begin,
                                                    otc_session_batch_callback on_end) {
  if (!settings || (on_begin == NULL) != (on_end == NULL)) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings->on_batch_begin = on_begin;
  settings->on_batch_end = on_end;
  return OTC_SUCCESS;
}

otc_status otc_session_settings_set_heartbeat(otc_session_settings* settings,
                                              int interval_ms, int timeout_ms) {
  if (!settings || interval_ms <= 0 || timeout_ms <= interval_ms) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings->heartbeat_interval_ms = interval_ms;
  settings->heartbeat_timeout_ms = timeout_ms;
  return OTC_SUCCESS;
}

otc_status otc_session_settings_set_reconnection(otc_session_settings* settings,
                                                 int initial_backoff_ms,
                                                 int max_backoff_ms,
                                                 int give_up_after_ms) {
  if (!settings || initial_backoff_ms <= 0 || max_backoff_ms < initial_backoff_ms ||
      give_up_after_ms < 0) {
    return OTC_ERROR_INVALID_PARAM;
  }
  settings->initial_backoff_ms = initial_backoff_ms;
  settings->max_backoff_ms = max_backoff_ms;
  settings->give_up_after_ms = give_up_after_ms;
  return OTC_SUCCESS;
}
