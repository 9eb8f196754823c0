#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char* frame_from_json(cJSON* object, size_t* length) {
  char* text = object ? cJSON_PrintUnformatted(object) : NULL;
  cJSON_Delete(object);
  if (!text) {
    return NULL;
  }
  size_t text_length = strlen(text);
  char* frame = malloc(LWS_PRE + text_length + 1);
  if (frame) {
    memcpy(frame + LWS_PRE, text, text_length + 1);
    *length = text_length;
  }
  cJSON_free(text);
  return frame;
}

char* wire_connect_frame(const char* api_key, const char* session_id,
                         const char* token, bool suppress_events, size_t* length) {
  cJSON* frame = cJSON_CreateObject();
  if (!cJSON_AddStringToObject(frame, "type", "connect") ||
      !cJSON_AddStringToObject(frame, "apiKey", api_key) ||
      !cJSON_AddStringToObject(frame, "sessionId", session_id) ||
      !cJSON_AddStringToObject(frame, "token", token) ||
      !cJSON_AddBoolToObject(frame, "suppressEvents", suppress_events)) {
    cJSON_Delete(frame);
    return NULL;
  }
  return frame_from_json(frame, length);
}

char* wire_resume_frame(const char* api_key, const char* session_id,
                        const char* connection_id, const char* resume_token,
                        int64_t last_seq, size_t* length) {
  cJSON* frame = cJSON_CreateObject();
  if (!cJSON_AddStringToObject(frame, "type", "resume") ||
      !cJSON_AddStringToObject(frame, "apiKey", api_key) ||
      !cJSON_AddStringToObject(frame, "sessionId", session_id) ||
      !cJSON_AddStringToObject(frame, "connectionId", connection_id) ||
      !cJSON_AddStringToObject(frame, "resumeToken", resume_token) ||
      !cJSON_AddNumberToObject(frame, "lastSeq", (double)last_seq)) {
    cJSON_Delete(frame);
    return NULL;
  }
  return frame_from_json(frame, length);
}

cJSON* wire_parse(const char* text, size_t length) {
  const char* end = NULL;
  cJSON* root = cJSON_ParseWithLengthOpts(text, length, &end, false);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return NULL;
  }
  for (; end && end < text + length; end++) {
    if (!isspace((unsigned char)*end)) { /* trailing garbage */
      cJSON_Delete(root);
      return NULL;
    }
  }
  return root;
}

const char* wire_string(const cJSON* object, const char* name) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

/* Integers beyond 2^53 do not survive a double; nothing in the protocol is that big. */
bool wire_integer(const cJSON* object, const char* name, int64_t* value) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  if (!cJSON_IsNumber(item)) {
    return false;
  }
  double number = item->valuedouble;
  if (!isfinite(number) || number != floor(number) || fabs(number) > 9007199254740992.0) {
    return false;
  }
  *value = (int64_t)number;
  return true;
}

bool wire_connection_parse(const cJSON* object, struct wire_connection* connection) {
  if (!cJSON_IsObject(object)) {
    return false;
  }
  const cJSON* data = cJSON_GetObjectItemCaseSensitive(object, "data");
  connection->id = wire_string(object, "id");
  connection->data = cJSON_IsString(data) ? data->valuestring : "";
  return connection->id && connection->id[0] != '\0' &&
         (data == NULL || cJSON_IsNull(data) || cJSON_IsString(data)) &&
         wire_integer(object, "creationTime", &connection->creation_time);
}
