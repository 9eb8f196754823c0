#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One allocation: the struct, then the strings. */
static otc_connection* connection_alloc(const char* id, size_t id_length, const char* data,
                                        size_t data_length, int64_t creation_time,
                                        const char* session_id, bool own_session_id,
                                        size_t id_hash) {
  size_t id_size = id_length + 1;
  size_t data_size = data_length + 1;
  size_t session_size = own_session_id ? strlen(session_id) + 1 : 0;
  if (id_length > UINT32_MAX) {
    return NULL; /* cannot come: frames are at most 16 MiB */
  }
  otc_connection* connection =
      otc_malloc(offsetof(otc_connection, storage) + id_size + data_size + session_size);
  if (!connection) {
    return NULL;
  }
  char* text = connection->storage;
  memcpy(text, id, id_length);
  text[id_length] = '\0';
  connection->id_length = (uint32_t)id_length;
  memcpy(text + id_size, data, data_length);
  text[id_size + data_length] = '\0';
  if (own_session_id) {
    memcpy(text + id_size + data_size, session_id, session_size);
    connection->session_id = text + id_size + data_size;
  } else {
    connection->session_id = session_id;
  }
  connection->next = NULL;
  connection->id_hash = id_hash;
  connection->creation_time = creation_time;
  connection->drop_reason = OTC_CONNECTION_DROP_REASON_NONE;
  connection->event_seq = -1;
  connection->event_epoch = 0;
  connection->user_owned = false;
  return connection;
}

otc_connection* connection_new(const char* id, size_t id_length, const char* data,
                               size_t data_length, int64_t creation_time,
                               const char* session_id) {
  return connection_alloc(id, id_length, data, data_length, creation_time, session_id, false,
                          roster_hash(id, id_length));
}

otc_connection* connection_new_hashed(const char* id, size_t id_length, const char* data,
                                      size_t data_length, int64_t creation_time,
                                      const char* session_id, size_t id_hash) {
  return connection_alloc(id, id_length, data, data_length, creation_time, session_id, false,
                          id_hash);
}

void connection_free(otc_connection* connection) {
  free(connection);
}

const char* otc_connection_get_id(const otc_connection* connection) {
  return connection ? connection_id(connection) : NULL;
}

const char* otc_connection_get_data(const otc_connection* connection) {
  return connection ? connection_data(connection) : NULL;
}

int64_t otc_connection_get_creation_time(const otc_connection* connection) {
  return connection ? connection->creation_time : 0;
}

const char* otc_connection_get_session_id(const otc_connection* connection) {
  return connection ? connection->session_id : NULL;
}

enum otc_connection_drop_reason otc_connection_get_drop_reason(
    const otc_connection* connection) {
  /* Atomic: the library thread may set the own connection's reason while the
   * application reads it through otc_session_get_connection(). */
  return connection ? __atomic_load_n(&connection->drop_reason, __ATOMIC_RELAXED)
                    : OTC_CONNECTION_DROP_REASON_NONE;
}

otc_connection* otc_connection_copy(const otc_connection* connection) {
  if (!connection) {
    return NULL;
  }
  otc_connection* copy =
      connection_alloc(connection_id(connection), connection->id_length,
                       connection_data(connection), strlen(connection_data(connection)),
                       connection->creation_time,
                       connection->session_id, true, connection->id_hash);
  if (copy) {
    copy->drop_reason = otc_connection_get_drop_reason(connection);
    copy->event_seq = connection->event_seq;
    copy->event_epoch = connection->event_epoch;
    copy->user_owned = true;
  }
  return copy;
}

otc_status otc_connection_delete(otc_connection* connection) {
  if (!connection) {
    return OTC_ERROR_INVALID_PARAM;
  }
  if (!connection->user_owned) {
    otc_log(OTC_LOG_LEVEL_WARN,
            "otc_connection_delete: not a copy; libotc owns this connection");
    return OTC_ERROR_INVALID_HANDLE;
  }
  free(connection);
  return OTC_SUCCESS;
}

static const char* const reason_names[] = {
    [OTC_CONNECTION_DROP_REASON_NONE] = "none",
    [OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED] = "clientDisconnected",
    [OTC_CONNECTION_DROP_REASON_NETWORK_DISCONNECTED] = "networkDisconnected",
    [OTC_CONNECTION_DROP_REASON_FORCE_DISCONNECTED] = "forceDisconnected",
};

const char* otc_connection_drop_reason_string(enum otc_connection_drop_reason reason) {
  if ((unsigned)reason >= sizeof reason_names / sizeof reason_names[0]) {
    return "none";
  }
  return reason_names[reason];
}

enum otc_connection_drop_reason drop_reason_parse(const char* text, size_t length) {
  for (size_t i = 1; i < sizeof reason_names / sizeof reason_names[0]; i++) {
    if (text && strlen(reason_names[i]) == length && memcmp(text, reason_names[i], length) == 0) {
      return (enum otc_connection_drop_reason)i;
    }
  }
  return OTC_CONNECTION_DROP_REASON_NONE;
}

int64_t otc_connection_get_event_seq(const otc_connection* connection) {
  return connection ? connection->event_seq : -1;
}

int64_t otc_connection_get_event_epoch(const otc_connection* connection) {
  return connection ? connection->event_epoch : 0;
}
