/* protocol.md's messages: client frames written with snprintf-style code,
 * server frames decoded with the pull parser (json.c) into spans of the frame
 * itself. No tree and no allocation: see wire_decode(). */

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- client frames -------------------------------------------------------- */

/* Room for `text` as a JSON string with quotes: at most 6 bytes per byte. */
static size_t quoted_size(const char* text) {
  return strlen(text) * 6 + 2;
}

static char* put_quoted(char* out, const char* text) {
  static const char hex[] = "0123456789abcdef";
  *out++ = '"';
  for (const unsigned char* p = (const unsigned char*)text; *p; p++) {
    if (*p == '"' || *p == '\\') {
      *out++ = '\\';
      *out++ = (char)*p;
    } else if (*p < 0x20) {
      memcpy(out, "\\u00", 4);
      out[4] = hex[*p >> 4];
      out[5] = hex[*p & 15];
      out += 6;
    } else {
      *out++ = (char)*p;
    }
  }
  *out++ = '"';
  return out;
}

struct frame_writer {
  char* frame;
  char* out;
};

static bool writer_start(struct frame_writer* w, size_t capacity) {
  w->frame = otc_malloc(capacity + 1);
  w->out = w->frame;
  return w->frame != NULL;
}

static void put_raw(struct frame_writer* w, const char* text) {
  size_t length = strlen(text);
  memcpy(w->out, text, length);
  w->out += length;
}

static void put_member(struct frame_writer* w, const char* name, const char* value) {
  put_raw(w, ",\"");
  put_raw(w, name);
  put_raw(w, "\":");
  w->out = put_quoted(w->out, value);
}

static void put_integer(struct frame_writer* w, const char* name, int64_t value) {
  char number[32];
  snprintf(number, sizeof number, ",\"%s\":%lld", name, (long long)value);
  put_raw(w, number);
}

static char* writer_finish(struct frame_writer* w, size_t* length) {
  put_raw(w, "}");
  *w->out = '\0';
  *length = (size_t)(w->out - w->frame);
  return w->frame;
}

/* Fixed text and numbers of a frame: less than this. */
#define FRAME_OVERHEAD 256

char* wire_connect_frame(const char* api_key, const char* session_id,
                         const char* token, bool suppress_events, size_t* length) {
  struct frame_writer w;
  if (!writer_start(&w, FRAME_OVERHEAD + quoted_size(api_key) + quoted_size(session_id) +
                            quoted_size(token))) {
    return NULL;
  }
  put_raw(&w, "{\"type\":\"connect\",\"protocol\":" OTC_PROTOCOL_VERSION_TEXT);
  put_member(&w, "apiKey", api_key);
  put_member(&w, "sessionId", session_id);
  put_member(&w, "token", token);
  put_raw(&w, suppress_events ? ",\"suppressEvents\":true" : ",\"suppressEvents\":false");
  put_raw(&w, ",\"heartbeat\":\"ws\"");
  return writer_finish(&w, length);
}

char* wire_resume_frame(const char* api_key, const char* session_id,
                        const char* connection_id, const char* resume_token,
                        int64_t epoch, int64_t last_seq, size_t* length) {
  struct frame_writer w;
  if (!writer_start(&w, FRAME_OVERHEAD + quoted_size(api_key) + quoted_size(session_id) +
                            quoted_size(connection_id) + quoted_size(resume_token))) {
    return NULL;
  }
  put_raw(&w, "{\"type\":\"resume\",\"protocol\":" OTC_PROTOCOL_VERSION_TEXT);
  put_member(&w, "apiKey", api_key);
  put_member(&w, "sessionId", session_id);
  put_member(&w, "connectionId", connection_id);
  put_member(&w, "resumeToken", resume_token);
  if (epoch > 0) {
    put_integer(&w, "epoch", epoch);
  }
  put_integer(&w, "lastSeq", last_seq);
  put_raw(&w, ",\"heartbeat\":\"ws\"");
  return writer_finish(&w, length);
}

/* --- server frames -------------------------------------------------------- */

/* Reads an integral number into `*value`, or skips another value. */
static bool integer_member(struct json* j, int64_t* value, bool* present) {
  if (json_peek(j) == '-' || (json_peek(j) >= '0' && json_peek(j) <= '9')) {
    bool integral;
    int64_t number;
    if (!json_number(j, &number, &integral)) {
      return false;
    }
    if (integral) {
      *value = number;
      *present = true;
    }
    return true;
  }
  return json_skip(j);
}

static bool string_member(struct json* j, struct json_string* value, bool* present) {
  if (json_peek(j) == '"') {
    *present = json_string(j, value);
    return *present;
  }
  return json_skip(j);
}

/* Records where a value starts and skips it (validating it). */
static bool span_member(struct json* j, struct json* span, bool* present) {
  json_peek(j);
  char* start = j->p;
  if (!json_skip(j)) {
    return false;
  }
  json_init(span, start, (size_t)(j->p - start));
  *present = true;
  return true;
}

static bool bool_member(struct json* j, bool* value) {
  char c = json_peek(j);
  return (c == 't' || c == 'f') ? json_bool(j, value) : json_skip(j);
}

static bool heartbeat_member(struct json* j, struct wire_message* m) {
  if (json_peek(j) != '{') {
    return json_skip(j);
  }
  struct json_iter it = {.object = true};
  struct json_string key;
  int more;
  bool ignored;
  while ((more = json_container_next(j, &it, &key)) == 1) {
    bool ok = JSON_IS(&key, "timeoutMs")
                  ? integer_member(j, &m->heartbeat_timeout_ms, &ignored)
              : JSON_IS(&key, "intervalMs")
                  ? integer_member(j, &m->heartbeat_interval_ms, &ignored)
                  : json_skip(j);
    if (!ok) {
      return false;
    }
  }
  return more == 0;
}

/* The smallest event wire_event_parse takes, with its comma:
 * {"seq":0,"type":"","connection":{"id":"a","creationTime":0}}, */
#define MIN_EVENT_BYTES 60

/* An `events` array, validated and parsed in one pass (strings unescaped in
 * place), so that handle_events walks the parsed events instead of parsing the
 * frame a second time (the second pass was 45 % of the decoder's time in a
 * storm batch). An element that is not an event makes the frame malformed. At
 * most one parsed event per MIN_EVENT_BYTES of frame: a frame costs about
 * twice its size at most. Anything else than an array is kept as a span. */
static bool events_member(struct json* j, struct wire_message* m, size_t frame_length) {
  wire_message_free(m); /* a repeated key: the last one counts, as for other members */
  m->events_parsed = false;
  m->has_events = false;
  if (json_peek(j) != '[') {
    return span_member(j, &m->events, &m->has_events);
  }
  size_t limit = frame_length / MIN_EVENT_BYTES + 1;
  size_t capacity = 0;
  struct json_iter it = {.object = false};
  int more;
  while ((more = json_container_next(j, &it, NULL)) == 1) {
    if (m->parsed_count == capacity) {
      size_t grown = capacity ? capacity * 2 : 64;
      grown = grown < limit ? grown : limit;
      struct wire_event* events =
          grown > capacity ? otc_realloc(m->parsed_events, grown * sizeof *events) : NULL;
      if (!events) {
        m->out_of_memory = grown > capacity;
        return false;
      }
      m->parsed_events = events;
      capacity = grown;
    }
    if (!wire_event_parse(j, &m->parsed_events[m->parsed_count])) {
      return false;
    }
    m->parsed_count++;
  }
  m->has_events = more == 0;
  m->events_parsed = m->has_events;
  return m->has_events;
}

static bool message_member(struct json* j, const struct json_string* key,
                           struct wire_message* m, size_t frame_length) {
  switch (key->length ? key->text[0] : '\0') {
    case 't':
      if (JSON_IS(key, "type")) return string_member(j, &m->type, &m->has_type);
      break;
    case 'p':
      if (JSON_IS(key, "protocol")) return integer_member(j, &m->protocol, &m->has_protocol);
      break;
    case 's':
      if (JSON_IS(key, "seq")) return integer_member(j, &m->seq, &m->has_seq);
      if (JSON_IS(key, "snapshot")) return bool_member(j, &m->snapshot);
      break;
    case 'e':
      if (JSON_IS(key, "events")) return events_member(j, m, frame_length);
      if (JSON_IS(key, "epoch")) return integer_member(j, &m->epoch, &m->has_epoch);
      break;
    case 'c':
      if (JSON_IS(key, "connection")) return span_member(j, &m->connection, &m->has_connection);
      if (JSON_IS(key, "connections")) return span_member(j, &m->connections, &m->has_connections);
      if (JSON_IS(key, "code")) return integer_member(j, &m->code, &m->has_code);
      break;
    case 'r':
      if (JSON_IS(key, "resumeToken")) return string_member(j, &m->resume_token, &m->has_resume_token);
      if (JSON_IS(key, "resumed")) return bool_member(j, &m->resumed);
      if (JSON_IS(key, "replay")) return bool_member(j, &m->replay);
      if (JSON_IS(key, "reason")) return string_member(j, &m->reason, &m->has_reason);
      if (JSON_IS(key, "retryAfterMs")) return integer_member(j, &m->retry_after_ms, &m->has_retry_after);
      break;
    case 'm':
      if (JSON_IS(key, "message")) return string_member(j, &m->message, &m->has_message);
      break;
    case 'h':
      if (JSON_IS(key, "heartbeat")) return heartbeat_member(j, m);
      break;
    default:
      break;
  }
  return json_skip(j);
}

bool wire_decode(char* text, size_t length, struct wire_message* m) {
  memset(m, 0, sizeof *m);
  struct json j;
  json_init(&j, text, length);
  struct json_iter it = {.object = true};
  struct json_string key;
  int more;
  while ((more = json_container_next(&j, &it, &key)) == 1) {
    if (!message_member(&j, &key, m, length)) {
      return false;
    }
  }
  return more == 0 && json_at_end(&j) && m->has_type;
}

void wire_message_free(struct wire_message* m) {
  free(m->parsed_events);
  m->parsed_events = NULL;
  m->parsed_count = 0;
}

bool wire_connection_parse(struct json* j, struct wire_connection* c) {
  struct json_iter it = {.object = true};
  struct json_string key;
  bool has_id = false;
  bool has_time = false;
  bool has_data;
  c->data.text = "";
  c->data.length = 0;
  int more;
  if (json_peek(j) != '{') {
    return false;
  }
  while ((more = json_container_next(j, &it, &key)) == 1) {
    bool ok;
    if (JSON_IS(&key, "id")) {
      ok = json_peek(j) == '"' && json_string(j, &c->id) && (has_id = true);
    } else if (JSON_IS(&key, "data")) {
      char next = json_peek(j);
      ok = next == '"' ? string_member(j, &c->data, &has_data)
           : next == 'n' ? json_skip(j) /* null: no data */
                         : false;
    } else if (JSON_IS(&key, "creationTime")) {
      ok = integer_member(j, &c->creation_time, &has_time);
    } else {
      ok = json_skip(j);
    }
    if (!ok) {
      return false;
    }
  }
  return more == 0 && has_id && c->id.length > 0 && has_time;
}

bool wire_event_parse(struct json* j, struct wire_event* e) {
  struct json_iter it = {.object = true};
  struct json_string key;
  bool has_seq = false;
  bool has_type = false;
  bool has_connection = false;
  bool has_reason = false;
  e->reason.text = "";
  e->reason.length = 0;
  int more;
  if (json_peek(j) != '{') {
    return false;
  }
  while ((more = json_container_next(j, &it, &key)) == 1) {
    bool ok;
    if (JSON_IS(&key, "seq")) {
      ok = integer_member(j, &e->seq, &has_seq);
    } else if (JSON_IS(&key, "type")) {
      ok = string_member(j, &e->type, &has_type);
    } else if (JSON_IS(&key, "reason")) {
      ok = string_member(j, &e->reason, &has_reason);
    } else if (JSON_IS(&key, "connection")) {
      ok = wire_connection_parse(j, &e->connection) && (has_connection = true);
    } else {
      ok = json_skip(j);
    }
    if (!ok) {
      return false;
    }
  }
  return more == 0 && has_seq && has_type && has_connection;
}
