/* libFuzzer target over libotc's decoder and roster: decodes a server frame
 * as the library thread does (wire_decode, then each connection and event)
 * and applies it to a roster with the seq rules, checking the roster's count
 * against its own bookkeeping. Built and run by fuzz_test.cmake (ctest
 * `fuzz_wire`) when clang is installed. */

#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char session_id[] = "fuzz";

static void add(struct roster* roster, const struct wire_connection* c, size_t* expected) {
  if (roster_find(roster, c->id.text, c->id.length)) {
    return;
  }
  otc_connection* connection = connection_new(c->id.text, c->id.length, c->data.text,
                                              c->data.length, c->creation_time, session_id);
  if (!connection) {
    abort();
  }
  if (!roster_add(roster, connection)) {
    abort();
  }
  (*expected)++;
  /* The stored ID must be found again by its span, and copies must agree. */
  otc_connection* found = roster_find(roster, c->id.text, c->id.length);
  if (found != connection || strlen(connection_id(connection)) != c->id.length) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char* text = malloc(size ? size : 1);
  memcpy(text, data, size);
  struct wire_message m;
  struct roster roster;
  roster_init(&roster);
  size_t expected = 0;
  if (wire_decode(text, size, &m)) {
    struct wire_connection c;
    if (m.has_connection) {
      wire_connection_parse(&m.connection, &c);
    }
    if (m.has_connections) {
      struct json_iter it = {.object = false};
      while (json_container_next(&m.connections, &it, NULL) == 1 &&
             wire_connection_parse(&m.connections, &c)) {
        add(&roster, &c, &expected);
      }
    }
    if (m.events_parsed) {
      int64_t last_seq = -1;
      for (size_t i = 0; i < m.parsed_count; i++) {
        struct wire_event e = m.parsed_events[i];
        if (e.seq <= last_seq) {
          continue;
        }
        last_seq = e.seq;
        if (json_string_is(&e.type, "connectionCreated")) {
          add(&roster, &e.connection, &expected);
        } else if (json_string_is(&e.type, "connectionDestroyed")) {
          otc_connection* gone =
              roster_remove(&roster, e.connection.id.text, e.connection.id.length);
          if (gone) {
            drop_reason_parse(e.reason.text, e.reason.length);
            connection_free(gone);
            expected--;
          }
        }
      }
    }
  }
  wire_message_free(&m);
  if (roster.count != expected) {
    abort();
  }
  roster_clear(&roster);
  free(text);
  return 0;
}
